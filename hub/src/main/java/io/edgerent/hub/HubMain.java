package io.edgerent.hub;

import io.edgerent.hub.config.ConfigFile;
import io.edgerent.hub.config.HubConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

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
        defaultValueProvider = HubSettings.Defaults.class,
        subcommands = {BackupCommand.class, RestoreCommand.class},
        description = {
            "Runs a hub: the CoAP API devices and renters talk to (over DTLS, coaps://), the SSH gateway renters reach"
                    + " their rentals through, and the HTTP router of their web servers. Everything it knows is kept under --data and"
                    + " survives a restart; open DTLS sessions too, so devices resume without a new handshake.",
            "Every option may also be set in the environment: EDGERENT_HUB_ and its name in capitals, - as _ (--fee-bps is"
                    + " EDGERENT_HUB_FEE_BPS), or in the --config file as 'fee-bps = 250'. The command line wins, then the"
                    + " environment, then the file."
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
            " 0:--check-config: the settings are good",
            " 2:a setting is wrong, or the hub" + " cannot start with it (the message says which)"
        })
public final class HubMain implements Callable<Integer> {
    static final String LOG_FORMAT = "EDGERENT_LOG_FORMAT";

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "settings file, one 'name = value' per line with the names of these options"
                    + " (/etc/edgerent/hub.conf when installed as a package; --print-config writes one)")
    Path config;

    @Option(
            names = "--check-config",
            description = "check the settings (the --config file with the environment and the command line) and"
                    + " say what is wrong, line by line; start nothing")
    boolean checkConfig;

    @Option(
            names = "--print-config",
            description = "print a settings file with every setting, its help and its default, all commented out")
    boolean printConfig;

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
            description = "text (default) or json: one JSON object per line on standard error, in the Elastic Common"
                    + " Schema (ECS), for log collectors")
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
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Reads the settings (the --config file first, as its values are the defaults the command line may change),
     * then checks them, prints a settings file, or runs the hub. Returns the exit code.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path file = HubSettings.configPath(args);
        ConfigFile settings;
        try {
            settings = file == null ? ConfigFile.none() : ConfigFile.read(file);
        } catch (IOException e) {
            err.println("edgerent hub: cannot read the settings file " + file + ": " + e.getMessage());
            return 2;
        }
        List<String> problems = HubSettings.problems(settings);
        CommandLine cli = commandLine(new HubMain(), new HubSettings.Defaults(settings, true), err);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        HubMain main = cli.getCommand();
        if (problems.isEmpty()) {
            try {
                ParseResult parsed = cli.parseArgs(args);
                if (main.logFormat != null) {
                    // Read by logback.xml when the first logger is made: before any class that logs is loaded.
                    System.setProperty(LOG_FORMAT, main.logFormat.name());
                }
                if (CommandLine.executeHelpRequest(parsed) != null) {
                    return 0;
                }
                if (parsed.hasSubcommand()) {
                    return cli.execute(args); // backup, restore: their own checks; the file gave their defaults
                }
                if (main.printConfig) {
                    out.print(HubSettings.settingsFile(cli.getCommandSpec()));
                    return 0;
                }
                checked(main);
            } catch (CommandLine.ParameterException e) {
                String name = e.getCommandLine().getCommandSpec().qualifiedName();
                err.println(name + ": " + e.getMessage() + " (see " + name + " --help)");
                return 2;
            } catch (IllegalArgumentException | IllegalStateException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> err.println("edgerent hub: " + p));
            err.println("edgerent hub: " + problems.size() + " problem(s) in the settings; nothing was started");
            return 2;
        }
        if (main.checkConfig) {
            out.println((file == null ? "settings" : file.toString()) + ": ok"
                    + (file == null ? " (no --config file: command line, environment and defaults)" : ""));
            return 0;
        }
        return cli.execute(args);
    }

    static CommandLine commandLine(HubMain main, HubSettings.Defaults defaults, PrintStream err) {
        CommandLine cli = new CommandLine(main).setOverwrittenOptionsAllowed(true);
        cli.setDefaultValueProvider(defaults);
        cli.setParameterExceptionHandler((e, a) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            err.println(name + ": " + e.getMessage() + " (see " + name + " --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException
                    || e instanceof UncheckedIOException) {
                err.println(command.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    /** The settings built, and checked as the hub checks them as it starts. */
    static HubConfig checked(HubMain main) {
        HubConfig config = main.config().build();
        HubConfig.requireTunnelPortsOutsideEphemeral(
                config.tunnelPortMin(), config.tunnelPortMax(), HubConfig.EPHEMERAL_PORTS);
        return config;
    }

    @Override
    public Integer call() throws InterruptedException {
        HubConfig built = config().build();
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

    /** The settings as HubConfig takes them; its build() checks their bounds. */
    HubConfig.Builder config() {
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
        return config;
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

    /** The version this jar was built as. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = HubMain.class.getPackage().getImplementationVersion();
            return new String[] {"edgerent hub " + (version == null ? "(built from source)" : version)};
        }
    }
}
