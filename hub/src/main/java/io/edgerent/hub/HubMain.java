package io.edgerent.hub;

import io.edgerent.hub.config.HubConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code edgerent hub}: runs a hub until interrupted. */
public final class HubMain {
    private static final String HELP = """
            Usage: edgerent hub [options]

            Runs a hub: the CoAP API devices and renters talk to (over DTLS, coaps://), and the SSH
            gateway renters reach their rentals through. Everything it knows is kept under --data and
            survives a restart; open DTLS sessions too, so devices resume without a new handshake.

            Options:
              --data DIR           data directory (database, SSH host key, admin.secret)
                                   default: ~/.edgerent/hub
              --db URL             keep everything in PostgreSQL instead of --data, shared by
                                   several hubs serving one fleet:
                                   jdbc:postgresql://HOST:5432/DATABASE?user=NAME (password
                                   from ~/.pgpass or EDGERENT_DB_PASSWORD). Every hub on it
                                   needs the same ssh_host_ecdsa_key in its --data
              --peer-address HOST  where the other hubs on --db reach this hub's SSH gateway
                                   (default: --bind, or 127.0.0.1 when --bind is a wildcard)
              --bind ADDRESS       address to listen on (default 127.0.0.1)
              --coaps-port PORT    UDP port of CoAP over DTLS on --bind (default 5684): devices
                                   and renters use coaps://HOST:PORT and pin the hub's key
              --coap-port PORT     UDP port of plain CoAP, on 127.0.0.1 only, for tools on the
                                   hub machine and development (default 5683)
              --ssh-port PORT      TCP port of the SSH gateway (default 2222)
              --metrics ADDR:PORT  where GET /metrics (Prometheus) and /health answer
                                   (default 127.0.0.1:9464)
              --log-format F       text (default) or json: one JSON object per line on
                                   standard error, for log collectors
              --public-host NAME   host name printed in ssh commands (default: the bind address)
              --tunnel-ports A-B   loopback ports reserved for device tunnels, two per device
                                   (default 40000-40999)
              --http-port PORT     TCP port of the HTTP router (default 8080)
              --https-port PORT    TCP port of the HTTPS router (default 8443)
              --domain NAME        rentals' web servers answer at RENTAL.NAME, and always at
                                   RENTAL.localhost (default localhost)
              --tls-cert FILE      PEM certificate chain for HTTPS (with --tls-key); without it
                                   a self-signed certificate is made once and kept in --data
              --tls-key FILE       PEM private key of --tls-cert
              --fee-bps N          the hub's share of each settled payment, in basis points,
                                   0-10000 (default 500 = 5 %)
              --payment-grace S    seconds of rental payment may lag before the rental is paused
                                   (default 120)
              --suspend-limit S    seconds a rental may stay paused for lack of payment before it
                                   ends and settles (default 600)
              --federation-refresh S
                                   seconds between fetching linked hubs' listings and asking
                                   them about rentals passed on (default 10); this hub's own
                                   listings stay valid for 6 times as long on linked hubs
              -h, --help           show this help

            Federation: `edgerent link add NAME coaps://HOST:PORT 'HUB KEY'` on this hub's
            machine links another hub (its operator links this one back the same way). Renters
            here see its devices on the market and rent them through this hub; that hub keeps
            and settles the channel.
            """;

    static final String LOG_FORMAT = "EDGERENT_LOG_FORMAT";

    private HubMain() {}

    public static void main(String[] args) throws InterruptedException {
        HubConfig.Builder config = HubConfig.builder();
        Path tlsCert = null;
        Path tlsKey = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "-h", "--help" -> {
                        System.out.print(HELP);
                        return;
                    }
                    case "--data" -> config.dataDir(Path.of(value(args, ++i, arg)));
                    case "--bind" -> config.bindAddress(value(args, ++i, arg));
                    case "--db" -> config.database(value(args, ++i, arg));
                    case "--log-format" -> {
                        String format = value(args, ++i, arg);
                        if (!format.equals("text") && !format.equals("json")) {
                            throw new IllegalArgumentException("--log-format is text or json, got '" + format + "'");
                        }
                        // Read by logback.xml when the first logger is made, which is after the options are read.
                        System.setProperty(LOG_FORMAT, format);
                    }
                    case "--peer-address" -> config.peerAddress(value(args, ++i, arg));
                    case "--coap-port" -> config.coapPort(port(value(args, ++i, arg), arg));
                    case "--coaps-port" -> config.coapsPort(port(value(args, ++i, arg), arg));
                    case "--ssh-port" -> config.sshPort(port(value(args, ++i, arg), arg));
                    case "--metrics" -> {
                        String v = value(args, ++i, arg);
                        int colon = v.lastIndexOf(':');
                        if (colon < 1) {
                            throw new IllegalArgumentException("--metrics takes ADDRESS:PORT, such as 127.0.0.1:9464, got '" + v + "'");
                        }
                        config.metrics(v.substring(0, colon), port(v.substring(colon + 1), arg));
                    }
                    case "--public-host" -> config.publicHost(value(args, ++i, arg));
                    case "--http-port" -> config.httpPort(port(value(args, ++i, arg), arg));
                    case "--https-port" -> config.httpsPort(port(value(args, ++i, arg), arg));
                    case "--domain" -> config.domain(value(args, ++i, arg));
                    case "--tls-cert" -> tlsCert = Path.of(value(args, ++i, arg));
                    case "--tls-key" -> tlsKey = Path.of(value(args, ++i, arg));
                    case "--tunnel-ports" -> {
                        String[] range = value(args, ++i, arg).split("-");
                        if (range.length != 2) {
                            throw new IllegalArgumentException("--tunnel-ports takes a range like 40000-40999");
                        }
                        config.tunnelPorts(port(range[0], arg), port(range[1], arg));
                    }
                    case "--fee-bps" -> config.feeBasisPoints((int) number(value(args, ++i, arg), arg, 0, 10_000));
                    case "--payment-grace" -> config.paymentGrace(java.time.Duration.ofSeconds(number(value(args, ++i, arg), arg, 0, 86_400)));
                    case "--federation-refresh" -> config.federationRefresh(java.time.Duration.ofSeconds(
                            number(value(args, ++i, arg), arg, 1, 3600)));
                    case "--suspend-limit" -> config.suspendLimit(java.time.Duration.ofSeconds(number(value(args, ++i, arg), arg, 0, 604_800)));
                    default -> throw new IllegalArgumentException("unknown option " + arg + " (see edgerent hub --help)");
                }
            }
            HubConfig built = config.tls(tlsCert, tlsKey).build();
            Hub hub = Hub.start(built);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                hub.close();
                stopped.countDown();
            }));
            System.out.printf("hub running: CoAP coaps://%s:%d (plain coap://127.0.0.1:%d), SSH gateway %s:%d, HTTP router"
                    + " :%d (https :%d) for *.%s, data %s%nhub key: %s%n", built.publicHost(), hub.coapsPort(), hub.coapPort(),
                    built.publicHost(), hub.sshPort(), built.httpPort(), built.httpsPort(), built.domain(), built.dataDir(), hub.hubKey());
            System.out.flush();
            stopped.await();
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            System.err.println("edgerent hub: " + e.getMessage());
            System.exit(2);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static long number(String text, String option, long min, long max) {
        try {
            long n = Long.parseLong(text.strip());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number from " + min + " to " + max + ", got '" + text + "'");
        }
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
}
