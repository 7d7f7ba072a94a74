package io.edgerent.hub;

import io.edgerent.hub.config.HubConfig;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code edgerent hub}: runs a hub until interrupted. Each option may also come from the environment
 * ({@code --fee-bps} from {@code EDGERENT_HUB_FEE_BPS}); its default and its bounds are HubConfig's.
 */
@Command(
        name = "edgerent hub",
        mixinStandardHelpOptions = true,
        versionProvider = HubMain.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        defaultValueProvider = HubMain.Defaults.class,
        subcommands = {BackupCommand.class, RestoreCommand.class},
        description = {
            "Runs a hub: the CoAP API devices and renters talk to (over DTLS, coaps://), the SSH gateway renters reach"
                    + " their rentals through, and the HTTP router of their web servers. Everything it knows is kept under --data and"
                    + " survives a restart; open DTLS sessions too, so devices resume without a new handshake.",
            "Every option may also be set in the environment: EDGERENT_HUB_ and its name in capitals, - as _ (--fee-bps is"
                    + " EDGERENT_HUB_FEE_BPS). The command line wins."
        },
        footerHeading = "%n",
        footer = {
            "Federation: `edgerent link add NAME coaps://HOST:PORT 'HUB KEY'` on this hub's machine links"
                    + " another hub (its operator links this one back the same way). Renters here see its devices on the market and rent"
                    + " them through this hub; that hub keeps and settles the channel."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:stopped (interrupted)",
            " 2:a setting is wrong, or the hub" + " cannot start with it (the message says which)"
        })
public final class HubMain implements Callable<Integer> {
    static final String LOG_FORMAT = "EDGERENT_LOG_FORMAT";
    private static final String ENV_PREFIX = "EDGERENT_HUB_";

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description = "data directory: database, SSH host key, admin.secret (default ${DEFAULT-VALUE})")
    Path data;

    @Option(
            names = "--db",
            paramLabel = "URL",
            description = {
                "keep everything in PostgreSQL instead of --data, shared by several hubs"
                        + " serving one fleet: jdbc:postgresql://HOST:5432/DATABASE?user=NAME (password from ~/.pgpass or EDGERENT_DB_PASSWORD)."
                        + " Every hub on it needs the same ssh_host_ecdsa_key in its --data"
            })
    String database;

    @Option(
            names = "--peer-address",
            paramLabel = "HOST",
            description =
                    "where the other hubs on --db reach this hub's SSH gateway (default: --bind, or 127.0.0.1 when --bind is a wildcard)")
    String peerAddress;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "address to listen on (default ${DEFAULT-VALUE})")
    String bind;

    @Option(
            names = "--coaps-port",
            paramLabel = "PORT",
            description = "UDP port of CoAP over DTLS on --bind (default ${DEFAULT-VALUE}):"
                    + " devices and renters use coaps://HOST:PORT and pin the hub's key")
    int coapsPort;

    @Option(
            names = "--coap-port",
            paramLabel = "PORT",
            description = "UDP port of plain CoAP, on 127.0.0.1 only, for tools on the hub"
                    + " machine and development (default ${DEFAULT-VALUE})")
    int coapPort;

    @Option(
            names = "--ssh-port",
            paramLabel = "PORT",
            description = "TCP port of the SSH gateway (default ${DEFAULT-VALUE})")
    int sshPort;

    @Option(
            names = "--metrics",
            paramLabel = "ADDR:PORT",
            description = "where GET /metrics (Prometheus) and /health answer" + " (default ${DEFAULT-VALUE})")
    String metrics;

    @Option(
            names = "--log-format",
            paramLabel = "F",
            description = "text (default) or json: one JSON object per line on standard" + " error, for log collectors")
    LogFormat logFormat;

    @Option(
            names = "--public-host",
            paramLabel = "NAME",
            description = "host name printed in ssh commands (default: the bind address)")
    String publicHost;

    @Option(
            names = "--tunnel-ports",
            paramLabel = "A-B",
            description =
                    "loopback ports reserved for device tunnels, two per device, below the kernel's ephemeral range"
                            + " (/proc/sys/net/ipv4/ip_local_port_range; the hub refuses to start with a range that overlaps it)"
                            + " (default ${DEFAULT-VALUE})")
    String tunnelPorts;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            description = "TCP port of the HTTP router (default ${DEFAULT-VALUE})")
    int httpPort;

    @Option(
            names = "--https-port",
            paramLabel = "PORT",
            description = "TCP port of the HTTPS router (default ${DEFAULT-VALUE})")
    int httpsPort;

    @Option(
            names = "--domain",
            paramLabel = "NAME",
            description = "rentals' web servers answer at RENTAL.NAME, and always at"
                    + " RENTAL.localhost (default ${DEFAULT-VALUE})")
    String domain;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "PEM certificate chain for HTTPS (with --tls-key); without it a"
                    + " self-signed certificate is made once and kept in --data")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert")
    Path tlsKey;

    @Option(
            names = "--fee-bps",
            paramLabel = "N",
            description =
                    "the hub's share of each settled payment, in basis points, 0-10000" + " (default ${DEFAULT-VALUE})")
    int feeBps;

    @Option(
            names = "--payment-grace",
            paramLabel = "S",
            description = "seconds a new rental waits for its first voucher (the device serves it only once one is"
                    + " stored) before it ends unserved, its deposit back, 0-86400 (default ${DEFAULT-VALUE})")
    long paymentGrace;

    @Option(
            names = "--suspend-limit",
            paramLabel = "S",
            description = "seconds a rental may stay paused for lack of payment before it"
                    + " ends and settles, 0-604800 (default ${DEFAULT-VALUE})")
    long suspendLimit;

    @Option(
            names = "--federation-refresh",
            paramLabel = "S",
            description = "seconds between fetching linked hubs' listings and asking"
                    + " them about rentals passed on, 1-3600 (default ${DEFAULT-VALUE}); this hub's own listings stay valid for 6 times as"
                    + " long on linked hubs")
    long federationRefresh;

    enum LogFormat {
        text,
        json
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line main runs: its refusals one line on standard error and exit code 2. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new HubMain()).setOverwrittenOptionsAllowed(true);
        cli.setParameterExceptionHandler((e, a) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            System.err.println(name + ": " + e.getMessage() + " (see " + name + " --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException
                    || e instanceof UncheckedIOException) {
                System.err.println(command.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (logFormat != null) {
            // Read by logback.xml when the first logger is made, which is after the options are read.
            System.setProperty(LOG_FORMAT, logFormat.name());
        }
        HubConfig.Builder config = HubConfig.builder()
                .dataDir(data)
                .bindAddress(bind)
                .database(database)
                .peerAddress(peerAddress)
                .coapPort(coapPort)
                .coapsPort(coapsPort)
                .sshPort(sshPort)
                .publicHost(publicHost)
                .httpPort(httpPort)
                .httpsPort(httpsPort)
                .domain(domain)
                .tls(tlsCert, tlsKey)
                .feeBasisPoints(feeBps)
                .paymentGrace(Duration.ofSeconds(paymentGrace))
                .suspendLimit(Duration.ofSeconds(suspendLimit))
                .federationRefresh(Duration.ofSeconds(federationRefresh));
        int colon = metrics.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException(
                    "--metrics takes ADDRESS:PORT, such as 127.0.0.1:9464, got '" + metrics + "'");
        }
        config.metrics(metrics.substring(0, colon), port(metrics.substring(colon + 1), "--metrics"));
        String[] range = tunnelPorts.split("-");
        if (range.length != 2) {
            throw new IllegalArgumentException(
                    "--tunnel-ports takes a range like 20000-20999, got '" + tunnelPorts + "'");
        }
        config.tunnelPorts(port(range[0], "--tunnel-ports"), port(range[1], "--tunnel-ports"));
        HubConfig built = config.build();
        Hub hub = Hub.start(built);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hub.close();
            stopped.countDown();
        }));
        System.out.printf(
                "hub running: CoAP coaps://%s:%d (plain coap://127.0.0.1:%d), SSH gateway %s:%d, HTTP router"
                        + " :%d (https :%d) for *.%s, data %s%nhub key: %s%n",
                built.publicHost(),
                hub.coapsPort(),
                hub.coapPort(),
                built.publicHost(),
                hub.sshPort(),
                built.httpPort(),
                built.httpsPort(),
                built.domain(),
                built.dataDir(),
                hub.hubKey());
        System.out.flush();
        stopped.await();
        return 0;
    }

    private static int port(String text, String option) {
        try {
            int port = Integer.parseInt(text.strip());
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + text + "' is not a port number (0-65535)");
        }
    }

    /** An option's value from the environment (EDGERENT_HUB_NAME), else HubConfig's default. */
    static final class Defaults implements IDefaultValueProvider {
        private static final HubConfig DEFAULTS = HubConfig.builder().build();
        private static final Map<String, Function<HubConfig, Object>> OF_CONFIG = Map.ofEntries(
                Map.entry("--data", HubConfig::dataDir),
                Map.entry("--bind", HubConfig::bindAddress),
                Map.entry("--coaps-port", HubConfig::coapsPort),
                Map.entry("--coap-port", HubConfig::coapPort),
                Map.entry("--ssh-port", HubConfig::sshPort),
                Map.entry("--metrics", c -> c.metricsBind() + ":" + c.metricsPort()),
                Map.entry("--tunnel-ports", c -> c.tunnelPortMin() + "-" + c.tunnelPortMax()),
                Map.entry("--http-port", HubConfig::httpPort),
                Map.entry("--https-port", HubConfig::httpsPort),
                Map.entry("--domain", HubConfig::domain),
                Map.entry("--fee-bps", HubConfig::feeBasisPoints),
                Map.entry("--payment-grace", c -> c.paymentGrace().toSeconds()),
                Map.entry("--suspend-limit", c -> c.suspendLimit().toSeconds()),
                Map.entry("--federation-refresh", c -> c.federationRefresh().toSeconds()));

        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
                return null;
            }
            String name = option.longestName();
            String fromEnvironment = System.getenv(
                    ENV_PREFIX + name.substring(2).replace('-', '_').toUpperCase(Locale.ROOT));
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                return fromEnvironment;
            }
            Function<HubConfig, Object> of = OF_CONFIG.get(name);
            return of == null ? null : String.valueOf(of.apply(DEFAULTS));
        }
    }

    /** The version this jar was built as. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = HubMain.class.getPackage().getImplementationVersion();
            return new String[] {"edgerent hub " + (version == null ? "(built from source)" : version)};
        }
    }
}
