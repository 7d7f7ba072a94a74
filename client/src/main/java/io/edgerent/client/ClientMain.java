package io.edgerent.client;

import io.edgerent.protocol.Listing;
import io.edgerent.protocol.RentalView;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code edgerent} commands for owners and renters. Exit codes: 0 done, 1 the hub refused,
 * 2 bad usage, 3 the hub did not answer, 4 the hub failed.
 */
public final class ClientMain {
    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int UNREACHABLE = 3;
    static final int HUB_FAILED = 4;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private static final String COMMON = """

            Common options:
              --hub URI     the hub's CoAP address (default $EDGERENT_HUB or coap://127.0.0.1:5683)
              -h, --help    show help for the command
            Files live under $EDGERENT_HOME (default ~/.edgerent).
            """;

    static final String TOKEN_HELP = """
            Usage: edgerent token --owner NAME [--admin-secret FILE]

            Creates a one-time registration token for one of NAME's devices. Give it to the device
            (edgerent device --token ...); it works once. Run by the hub operator, who holds the
            hub's admin secret (default: $EDGERENT_HOME/hub/admin.secret).
            """ + COMMON;
    static final String MARKET_HELP = """
            Usage: edgerent market

            Lists the hub's devices: which are free to rent, and what each has (CPUs, memory, disk).
            """ + COMMON;
    static final String RENT_HELP = """
            Usage: edgerent rent DEVICE [--hours N] [--key PUBKEY] [--no-wait]

            Rents DEVICE (an id from `edgerent market`) for N hours (default 1, at most 744) and
            waits until its container is ready, then prints the rental name and the ssh command.
            --key is an OpenSSH public key, or a file holding one, that may log in as root; by
            default ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub, the first that exists.
            Your renter identity (a key pair under $EDGERENT_HOME/renter) is created on first use.
            """ + COMMON;
    static final String RENTALS_HELP = """
            Usage: edgerent rentals

            Lists your rentals (those rented with this renter identity) and their state.
            """ + COMMON;
    static final String END_HELP = """
            Usage: edgerent end RENTAL

            Ends one of your rentals now. The device destroys the container and lists itself again.
            """ + COMMON;

    private final PrintStream out;
    private final PrintStream err;
    private final Path home;

    public ClientMain(PrintStream out, PrintStream err, Path home) {
        this.out = out;
        this.err = err;
        this.home = home;
    }

    public static void main(String[] args) {
        String home = System.getenv("EDGERENT_HOME");
        Path homeDir = home == null || home.isBlank() ? Path.of(System.getProperty("user.home"), ".edgerent") : Path.of(home);
        System.exit(new ClientMain(System.out, System.err, homeDir).run(args));
    }

    public int run(String[] args) {
        if (args.length == 0) {
            err.println("edgerent: which command? token, market, rent, rentals or end (see ./edgerent --help)");
            return USAGE;
        }
        String command = args[0];
        Options options;
        try {
            options = Options.parse(List.of(args).subList(1, args.length));
        } catch (IllegalArgumentException e) {
            err.println("edgerent " + command + ": " + e.getMessage());
            return USAGE;
        }
        String help = switch (command) {
            case "token" -> TOKEN_HELP;
            case "market" -> MARKET_HELP;
            case "rent" -> RENT_HELP;
            case "rentals" -> RENTALS_HELP;
            case "end" -> END_HELP;
            default -> null;
        };
        if (help == null) {
            err.println("edgerent: unknown command '" + command + "' (see ./edgerent --help)");
            return USAGE;
        }
        if (options.help) {
            out.print(help);
            return 0;
        }
        try {
            HubClient hub = new HubClient(options.hub(), 10_000);
            return switch (command) {
                case "token" -> token(hub, options);
                case "market" -> market(hub, options);
                case "rent" -> rent(hub, options);
                case "rentals" -> rentals(hub, options);
                default -> end(hub, options);
            };
        } catch (UsageException e) {
            err.println("edgerent " + command + ": " + e.getMessage());
            return USAGE;
        } catch (HubClient.HubRefusedException e) {
            err.println("edgerent " + command + ": refused: " + e.getMessage());
            return e.codeClass == 5 ? HUB_FAILED : REFUSED;
        } catch (HubClient.HubUnreachableException e) {
            err.println("edgerent " + command + ": " + e.getMessage());
            return UNREACHABLE;
        }
    }

    private int token(HubClient hub, Options options) {
        options.expectPositionals(0);
        String owner = options.require("--owner");
        Path secretFile = options.value("--admin-secret").map(Path::of).orElse(home.resolve("hub").resolve("admin.secret"));
        String secret;
        try {
            secret = Files.readString(secretFile).strip();
        } catch (IOException e) {
            throw new UsageException("cannot read the hub's admin secret at " + secretFile
                    + " (run this on the hub machine, or pass --admin-secret FILE)");
        }
        out.println(hub.issueToken(secret, owner));
        return 0;
    }

    private int market(HubClient hub, Options options) {
        options.expectPositionals(0);
        List<Listing> listings = hub.listings();
        if (listings.isEmpty()) {
            out.println("no devices on this hub yet");
            return 0;
        }
        out.printf("%-16s %-10s %-10s %4s %9s %9s %-8s %s%n", "DEVICE", "STATUS", "OWNER", "CPUS", "MEMORY", "DISK", "ARCH", "MODEL");
        for (Listing l : listings) {
            out.printf("%-16s %-10s %-10s %4d %9s %9s %-8s %s%n", l.deviceId(), status(l), l.owner(), l.facts().cpus(),
                    bytes(l.facts().memoryBytes()), bytes(l.facts().diskFreeBytes()), l.facts().arch(), l.facts().model());
        }
        return 0;
    }

    private int rent(HubClient hub, Options options) {
        options.expectPositionals(1);
        String device = options.positionals.get(0);
        int hours = options.integer("--hours", 1);
        String sshKey = sshKey(options.value("--key").orElse(null));
        KeyPair renter = RenterIdentity.loadOrCreate(home);
        RentalView rental = hub.rent(renter, device, hours, sshKey);
        if (!options.flag("--no-wait")) {
            rental = awaitActive(hub, renter, rental, options.integer("--timeout", 300));
        }
        out.println("rental: " + rental.name());
        out.println("state: " + rental.state());
        out.println("ends: " + TIME.format(Instant.ofEpochMilli(rental.endsAt())));
        out.println("ssh: " + sshCommand(hub, rental));
        return 0;
    }

    private RentalView awaitActive(HubClient hub, KeyPair renter, RentalView rental, int timeoutSeconds) {
        err.print("preparing " + rental.name() + " on " + rental.deviceId() + " ");
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            RentalView now = hub.rentals(renter).stream().filter(r -> r.name().equals(rental.name())).findFirst().orElse(rental);
            if (!now.state().equals(RentalView.PREPARING)) {
                err.println(now.state().equals(RentalView.ACTIVE) ? " ready" : " " + now.state());
                if (!now.state().equals(RentalView.ACTIVE)) {
                    throw new HubClient.HubRefusedException(4, "", "rental " + now.name() + " is " + now.state() + " before it was ready");
                }
                return now;
            }
            err.print(".");
            err.flush();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        err.println();
        throw new HubClient.HubUnreachableException("rental " + rental.name() + " was not ready within " + timeoutSeconds
                + " s; it is still being prepared: check `edgerent rentals`");
    }

    private int rentals(HubClient hub, Options options) {
        options.expectPositionals(0);
        List<RentalView> rentals = hub.rentals(RenterIdentity.loadOrCreate(home));
        if (rentals.isEmpty()) {
            out.println("you have no rentals on this hub");
            return 0;
        }
        out.printf("%-16s %-16s %-10s %-20s %s%n", "RENTAL", "DEVICE", "STATE", "ENDS", "SSH");
        for (RentalView r : rentals) {
            out.printf("%-16s %-16s %-10s %-20s %s%n", r.name(), r.deviceId(), r.state(),
                    TIME.format(Instant.ofEpochMilli(r.endsAt())), r.state().equals(RentalView.ACTIVE) ? sshCommand(hub, r) : "-");
        }
        return 0;
    }

    private int end(HubClient hub, Options options) {
        options.expectPositionals(1);
        RentalView rental = hub.end(RenterIdentity.loadOrCreate(home), options.positionals.get(0));
        out.println("rental " + rental.name() + " is " + rental.state());
        return 0;
    }

    static String sshCommand(HubClient hub, RentalView rental) {
        return "ssh -J " + rental.name() + "@" + hub.hub().getHost() + ":" + rental.sshPort() + " root@" + rental.name();
    }

    /** The renter's OpenSSH public key: given literally, as a file, or the first default key that exists. */
    private static String sshKey(String given) {
        List<Path> candidates = new ArrayList<>();
        if (given != null) {
            if (given.startsWith("ssh-") || given.startsWith("ecdsa-") || given.startsWith("sk-")) {
                return given;
            }
            candidates.add(Path.of(given));
        } else {
            Path ssh = Path.of(System.getProperty("user.home"), ".ssh");
            for (String name : List.of("id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub")) {
                candidates.add(ssh.resolve(name));
            }
        }
        for (Path file : candidates) {
            if (Files.isRegularFile(file)) {
                try {
                    return Files.readString(file).strip();
                } catch (IOException e) {
                    throw new UsageException("cannot read " + file + ": " + e.getMessage());
                }
            }
        }
        throw new UsageException(given != null ? "no such key file: " + given
                : "no SSH public key found in ~/.ssh; make one with ssh-keygen -t ed25519, or pass --key");
    }

    private static String status(Listing l) {
        if (!l.online()) {
            return "offline";
        }
        return switch (l.state()) {
            case LISTED -> "free";
            case PREPARING, RENTED -> "rented";
            case WIPING -> "wiping";
            case UNREGISTERED -> "new";
        };
    }

    private static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%d MiB", n >> 20);
    }

    /** Wrong use of a command; the message says what is expected. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** Command-line options: {@code --name value}, flags, positionals. */
    static final class Options {
        private static final List<String> FLAGS = List.of("--no-wait", "-h", "--help");
        final List<String> positionals = new ArrayList<>();
        private final java.util.Map<String, String> values = new java.util.HashMap<>();
        boolean help;

        static Options parse(List<String> args) {
            Options o = new Options();
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                if (arg.equals("-h") || arg.equals("--help")) {
                    o.help = true;
                } else if (FLAGS.contains(arg)) {
                    o.values.put(arg, "true");
                } else if (arg.startsWith("--")) {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    o.values.put(arg, args.get(++i));
                } else {
                    o.positionals.add(arg);
                }
            }
            return o;
        }

        URI hub() {
            String hub = values.getOrDefault("--hub", System.getenv().getOrDefault("EDGERENT_HUB", "coap://127.0.0.1:5683"));
            URI uri = URI.create(hub);
            if (!"coap".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new UsageException("--hub must look like coap://HOST:PORT, got " + hub);
            }
            return uri;
        }

        java.util.Optional<String> value(String name) {
            return java.util.Optional.ofNullable(values.get(name));
        }

        String require(String name) {
            return value(name).orElseThrow(() -> new UsageException(name + " is required"));
        }

        boolean flag(String name) {
            return values.containsKey(name);
        }

        int integer(String name, int fallback) {
            String text = values.get(name);
            if (text == null) {
                return fallback;
            }
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new UsageException(name + " takes a whole number, got '" + text + "'");
            }
        }

        void expectPositionals(int count) {
            for (String name : values.keySet()) {
                if (!List.of("--hub", "--owner", "--admin-secret", "--hours", "--key", "--no-wait", "--timeout").contains(name)) {
                    throw new UsageException("unknown option " + name);
                }
            }
            if (positionals.size() != count) {
                throw new UsageException(count == 0 ? "takes no arguments, got " + positionals
                        : "takes " + count + " argument(s), got " + positionals.size());
            }
        }
    }
}
