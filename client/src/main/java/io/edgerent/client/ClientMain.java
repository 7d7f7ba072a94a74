package io.edgerent.client;

import io.edgerent.link.Dtls;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.WipeRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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
              --hub URI     the hub: coaps://HOST:PORT (DTLS; its key is recorded in known_hubs at
                            the first contact and must match after), or coap://127.0.0.1:PORT on
                            the hub machine (default $EDGERENT_HUB or coap://127.0.0.1:5683).
                            Several hubs of one fleet, separated by commas: a request one does not
                            answer fails and the next goes to the next (edgerent pay keeps paying)
              -h, --help    show help for the command
            Files live under $EDGERENT_HOME (default ~/.edgerent).
            """;

    static final String TOKEN_HELP = """
            Usage: edgerent token --owner NAME [--dashboard] [--admin-secret FILE]

            Creates a one-time registration token for one of NAME's devices. Give it to the device
            (edgerent device --token ...); it works once. Run by the hub operator, who holds the
            hub's admin secret (default: $EDGERENT_HOME/hub/admin.secret).

            --dashboard  instead, a one-time invitation for NAME to sign up on the hub's web pages
                         and see their owner dashboard (devices, rentals, earnings, wipes); it
                         prints the sign-up link. One account per owner.
            """ + COMMON;
    static final String MARKET_HELP = """
            Usage: edgerent market

            Lists the hub's devices: which are free to rent, what each has (CPUs, memory, disk) and
            which app templates it offers (see `edgerent rent --help`), then the devices of hubs
            linked with it (HOME names the hub, "here" is this one; you rent them here all the
            same, and that hub settles the payment). A linked hub not heard from lately shows its devices as stale;
            they disappear when their listings expire.
            """ + COMMON;
    static final String LINK_HELP = """
            Usage: edgerent link add NAME coaps://HOST:PORT 'HUB KEY' [--admin-secret FILE]
                   edgerent link remove NAME [--admin-secret FILE]
                   edgerent link [list] [--admin-secret FILE]

            Links this hub with another (hub operators; run on the hub machine). NAME is what this
            hub calls the other (a-z, 0-9, '-'); HUB KEY is the 'hub key:' line the other hub
            printed at start (ecdsa-sha2-nistp256 AAAA...). The hubs talk DTLS with their own keys;
            the other hub's operator links this one back the same way. Linked hubs show each
            other's devices to their renters; a rental of the other hub's device is paid from the
            renter's wallet here and settled there. A link with rentals not settled yet cannot be
            removed. `list` shows each link, when it was last heard from and how many devices it
            listed.
            """ + COMMON;
    static final String RENT_HELP = """
            Usage: edgerent rent DEVICE [--template T] [--hours N] [--key PUBKEY] [--max-price P]
                                        [--deposit D] [--pay-every SECONDS] [--detach | --no-wait]

            Rents DEVICE (an id from `edgerent market`) for N hours (default 1, at most 744), waits
            until its container is ready, prints the rental name and the ssh command, then stays
            running and pays as you go: every --pay-every seconds (default 60) it signs a voucher for
            what is due plus two intervals ahead, and shows one status line. Ctrl-C ends the rental;
            you are refunded what you did not use.
              --template   what the container runs besides sshd (the device must offer it):
                             base   an SSH box (default)
                             web    a static web server for /data/www at the rental's web address
                             files  a file host at the web address: upload, download, share
                                    links, a quota of the rental's storage. Its password is made
                                    here, printed once and kept in $EDGERENT_HOME/renter/RENTAL.password;
                                    the hub and the device see only its SHA-256. Downloads are
                                    billed at the device's price per GB.
              --key        an OpenSSH public key, or a file holding one, that may log in as root;
                           default ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub
              --max-price  the most you pay per hour (default: the device's listed price)
              --deposit    moved from your wallet into escrow (default: price x hours)
              --detach     wait until the container is ready, print, and exit without paying
                           (pay with `edgerent pay RENTAL`, or the rental pauses after the grace)
              --no-wait    like --detach, without waiting for the container
            Your renter identity (a key pair under $EDGERENT_HOME/renter) is created on first use.
            """ + COMMON;
    static final String PAY_HELP = """
            Usage: edgerent pay RENTAL [--pay-every SECONDS]

            Pays as you go for one of your rentals until it ends (see `edgerent rent`). Ctrl-C stops
            paying and ends the rental.
            """ + COMMON;
    static final String STATUS_HELP = """
            Usage: edgerent status RENTAL

            One of your rentals' payment channel: what is due, what you paid, the deposit, whether it
            is paused for lack of payment, and after the end how it was settled.
            """ + COMMON;
    static final String WIPE_HELP = """
            Usage: edgerent wipe RENTAL

            How the device erased one of your ended rentals: each step (container removed, the
            volume's key taken out of the kernel, the encrypted image deleted), what was checked
            afterwards, and whether every check passed.
            """ + COMMON;
    static final String EXTEND_HELP = """
            Usage: edgerent extend RENTAL --hours N [--deposit D]

            Adds N hours to one of your rentals and moves D more from your wallet into its escrow
            (default: price x N).
            """ + COMMON;
    static final String WEB_HELP = """
            Usage: edgerent web

            Prints a one-time link (it works for 2 minutes) that signs a browser into the hub's web
            pages as this renter key: your rentals (those made here too, paid from here), your
            wallet, and renting from the marketplace page. Open it and press Sign in.
            """ + COMMON;
    static final String WALLET_HELP = """
            Usage: edgerent wallet
                   edgerent wallet deposit|withdraw ACCOUNT AMOUNT --ref TEXT [--admin-secret FILE]

            Without arguments: your renter wallet's account, balance and statement.
            deposit/withdraw (hub operator): records money received into or paid out of ACCOUNT
            (renter:KEYHEX as `edgerent wallet` shows it, or owner:NAME) through the settlement rail;
            --ref is the rail's reference and makes the record happen once.
            Amounts are whole numbers in the smallest currency unit.
            """ + COMMON;
    static final String EARNINGS_HELP = """
            Usage: edgerent earnings --owner NAME [--admin-secret FILE]

            An owner's settled income per device, after the hub's fee, and the owner's balance.
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
            err.println("edgerent: which command? token, link, market, rent, pay, status, extend, rentals, end, wallet or earnings (see ./edgerent --help)");
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
            case "link" -> LINK_HELP;
            case "rent" -> RENT_HELP;
            case "rentals" -> RENTALS_HELP;
            case "end" -> END_HELP;
            case "pay" -> PAY_HELP;
            case "status" -> STATUS_HELP;
            case "wipe" -> WIPE_HELP;
            case "extend" -> EXTEND_HELP;
            case "wallet" -> WALLET_HELP;
            case "web" -> WEB_HELP;
            case "earnings" -> EARNINGS_HELP;
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
        KnownHubs known = new KnownHubs(home);
        // Renter commands authenticate their DTLS session with the renter's key; the others with a key made for this run.
        boolean asRenter = Set.of("rent", "rentals", "pay", "status", "wipe", "extend", "end", "web").contains(command)
                || command.equals("wallet") && options.positionals.isEmpty();
        try (HubClient hub = new HubClient(options.hubs(), 10_000, asRenter ? renterKey(home) : Ed25519.generate(), known::check)) {
            int code = switch (command) {
                case "token" -> token(hub, options);
                case "market" -> market(hub, options);
                case "link" -> link(hub, options);
                case "rent" -> rent(hub, options);
                case "rentals" -> rentals(hub, options);
                case "pay" -> pay(hub, options);
                case "status" -> status(hub, options);
                case "wipe" -> wipe(hub, options);
                case "extend" -> extend(hub, options);
                case "wallet" -> wallet(hub, options);
                case "web" -> web(hub, options);
                case "earnings" -> earnings(hub, options);
                default -> end(hub, options);
            };
            hub.shownHubKeys().forEach((at, key) -> {
                if (known.recordIfNew(at, key)) {
                    err.println("edgerent: recorded the key of the hub at " + at + " in " + known.file() + ": " + SshKeys.ecdsaP256Line(key));
                }
            });
            return code;
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
        if (options.flag("--dashboard")) {
            HubClient.Invitation invite = hub.inviteOwner(adminSecret(options), owner);
            out.println(invite.code());
            out.println("owner " + owner + " signs up for the dashboard (once) at " + webLink(hub, invite.httpPort(), invite.path()));
            return 0;
        }
        out.println(hub.issueToken(adminSecret(options), owner));
        return 0;
    }

    private int link(HubClient hub, Options options) {
        String action = options.positionals.isEmpty() ? "list" : options.positionals.get(0);
        List<HubClient.Link> links = switch (action) {
            case "add" -> {
                options.expectPositionals(4);
                yield hub.links(adminSecret(options), "add", options.positionals.get(1), options.positionals.get(2),
                        options.positionals.get(3));
            }
            case "remove" -> {
                options.expectPositionals(2);
                yield hub.links(adminSecret(options), "remove", options.positionals.get(1), null, null);
            }
            case "list" -> {
                options.expectPositionals(options.positionals.isEmpty() ? 0 : 1);
                yield hub.links(adminSecret(options), "list", null, null, null);
            }
            default -> throw new UsageException("link takes add, remove or list, got '" + action + "'");
        };
        if (links.isEmpty()) {
            out.println("no hubs linked with this one");
            return 0;
        }
        out.printf("%-16s %-32s %-20s %8s  %s%n", "NAME", "ADDRESS", "HEARD", "DEVICES", "KEY");
        for (HubClient.Link l : links) {
            out.printf("%-16s %-32s %-20s %8s  %s%n", l.name(), l.address(),
                    l.heardAt() == null ? "never" : TIME.format(Instant.ofEpochMilli(l.heardAt())) + (l.stale() ? " (stale)" : ""),
                    l.listings() == null ? "-" : l.listings(), l.hubKey());
        }
        return 0;
    }

    private String adminSecret(Options options) {
        Path secretFile = options.value("--admin-secret").map(Path::of).orElse(home.resolve("hub").resolve("admin.secret"));
        try {
            return Files.readString(secretFile).strip();
        } catch (IOException e) {
            throw new UsageException("cannot read the hub's admin secret at " + secretFile
                    + " (run this on the hub machine, or pass --admin-secret FILE)");
        }
    }

    private int market(HubClient hub, Options options) {
        options.expectPositionals(0);
        List<Listing> listings = hub.listings();
        if (listings.isEmpty()) {
            out.println("no devices for rent on this hub now");
            return 0;
        }
        out.printf("%-16s %-10s %-10s %10s %8s %4s %9s %9s %-8s %-16s %-12s %s%n", "DEVICE", "STATUS", "OWNER",
                "PRICE/HOUR", "PRICE/GB", "CPUS", "MEMORY", "DISK", "ARCH", "TEMPLATES", "HOME", "MODEL");
        for (Listing l : listings) {
            out.printf("%-16s %-10s %-10s %10d %8d %4d %9s %9s %-8s %-16s %-12s %s%n", l.deviceId(), l.availability(), l.owner(),
                    l.prices().perHour(), l.prices().perGb(), l.facts().cpus(), bytes(l.facts().memoryBytes()),
                    bytes(l.facts().diskFreeBytes()), l.facts().arch(), Template.join(l.templates()), l.home() == null ? "here" : l.home(),
                    l.facts().model());
        }
        return 0;
    }

    private int rent(HubClient hub, Options options) {
        options.expectPositionals(1);
        String device = options.positionals.get(0);
        int hours = options.integer("--hours", 1);
        String sshKey = sshKey(options.value("--key").orElse(null));
        Listing listing = hub.listings().stream().filter(l -> l.deviceId().equals(device)).findFirst().orElse(null);
        long listed = listing == null ? 0 : listing.prices().perHour();
        long maxPrice = options.amount("--max-price", listed);
        long deposit = options.amount("--deposit", new Prices(Math.min(listed, maxPrice), 0).forSeconds(hours * 3600L));
        Template template = options.template();
        KeyPair renter = renterKey(home);
        String password = template == Template.FILES ? newPassword() : null;
        RentalView rental = hub.rent(renter, new RentRequest(device, hours, sshKey, maxPrice, deposit, template,
                password == null ? null : sha256Hex(password)));
        Path passwordFile = password == null ? null : savePassword(rental.name(), password);
        if (!options.flag("--no-wait")) {
            rental = awaitActive(hub, renter, rental, options.integer("--timeout", 300));
        }
        out.println("rental: " + rental.name());
        out.println("state: " + rental.state());
        out.println("ends: " + TIME.format(Instant.ofEpochMilli(rental.endsAt())));
        out.println("deposit: " + deposit);
        out.println("ssh: " + sshCommand(hub, rental));
        out.println("template: " + rental.template().id());
        switch (rental.template()) {
            case BASE -> out.println("web: " + rental.httpUrl() + " (port 80 in the container)");
            case WEB -> out.println("web: " + rental.httpUrl() + " (serves /data/www)");
            case FILES -> {
                out.println("files: " + rental.httpUrl() + " (user renter, password " + password + ", kept in " + passwordFile + ")");
                out.println("upload: curl -u renter:" + password + " -T FILE " + rental.httpUrl() + "files/FILE");
            }
        }
        out.flush();
        if (options.flag("--no-wait") || options.flag("--detach")) {
            return 0;
        }
        return payUntilEnd(hub, renter, rental.name(), options);
    }

    /**
     * The renter's Ed25519 key pair, which signs every renter request and so is the renter's identity on
     * the hub: made on first use under {@code EDGERENT_HOME/renter}, readable by its owner only.
     */
    private static KeyPair renterKey(Path home) {
        return Ed25519.loadOrCreate(home.resolve("renter"), "renter");
    }

    /** 128 random bits, URL-safe: typed once, then kept by the browser or in the password file. */
    private static String newPassword() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path savePassword(String rental, String password) {
        Path file = home.resolve("renter").resolve(rental + ".password");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, password + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot keep the password in " + file + ": " + e.getMessage(), e);
        }
    }

    private int pay(HubClient hub, Options options) {
        options.expectPositionals(1);
        return payUntilEnd(hub, renterKey(home), options.positionals.get(0), options);
    }

    /** Streams vouchers until the rental ends; Ctrl-C (or SIGTERM) ends the rental and shows the settlement. */
    private int payUntilEnd(HubClient hub, KeyPair renter, String rental, Options options) {
        Duration every = Duration.ofSeconds(options.integer("--pay-every", 60));
        if (every.isZero() || every.isNegative()) {
            throw new UsageException("--pay-every takes a positive number of seconds");
        }
        Payer payer = new Payer(hub, renter, rental, every, err, System.console() != null);
        CountDownLatch payerStopped = new CountDownLatch(1);
        CountDownLatch hookDone = new CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            payer.stop();
            try {
                payerStopped.await(5, TimeUnit.SECONDS);
                payer.payWhatIsDue();
                RentalView ended = hub.end(renter, rental);
                err.println("ended " + ended.name() + " (" + ended.state() + ")");
                printSettlement(hub.channel(renter, rental));
            } catch (RuntimeException | InterruptedException e) {
                err.println("edgerent: could not end " + rental + ": " + e.getMessage() + " (run: edgerent end " + rental + ")");
            } finally {
                hookDone.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        var last = payer.run();
        payerStopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException shuttingDown) {
            // The hook ends the rental with this hub client, which must stay open until it is done.
            awaitQuietly(hookDone);
            return 0;
        }
        out.println("rental " + rental + " is " + last.state());
        printSettlement(hub.channel(renter, rental));
        return 0;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void printSettlement(io.edgerent.protocol.ChannelStatus c) {
        if (c.settled()) {
            out.printf("settled: due %d, paid %d; owner %d, hub fee %d, refunded to you %d (of deposit %d)%n", c.due(), c.paid(),
                    c.ownerShare(), c.hubFee(), c.refund(), c.deposit());
        }
    }

    private int status(HubClient hub, Options options) {
        options.expectPositionals(1);
        var c = hub.channel(renterKey(home), options.positionals.get(0));
        out.printf("%s %s | due %d | paid %d | deposit %d | billed %d s | egress %d bytes | price %d/hour %d/GB%s%n", c.rental(),
                c.paused() ? "PAUSED" : c.state(), c.due(), c.paid(), c.deposit(), c.billedSeconds(), c.egressBytes(),
                c.prices().perHour(), c.prices().perGb(), c.paused() ? " (payment behind: run edgerent pay " + c.rental() + ")" : "");
        printSettlement(c);
        return 0;
    }

    private int wipe(HubClient hub, Options options) {
        options.expectPositionals(1);
        WipeRecord w = hub.wipe(renterKey(home), options.positionals.get(0));
        out.printf("%s wiped %s (%s), %s%n", w.rental(), TIME.format(Instant.ofEpochMilli(w.finishedAt())), w.method(),
                w.verified() ? "verified" : "NOT VERIFIED");
        w.steps().forEach(step -> out.println("  step:  " + step));
        w.checks().forEach(check -> out.println("  check: " + check));
        return 0;
    }

    private int extend(HubClient hub, Options options) {
        options.expectPositionals(1);
        KeyPair renter = renterKey(home);
        String rental = options.positionals.get(0);
        int hours = options.integer("--hours", 0);
        if (hours <= 0) {
            throw new UsageException("--hours N is required (a whole number of hours to add)");
        }
        Prices prices = hub.channel(renter, rental).prices();
        RentalView extended = hub.extend(renter, rental, hours, options.amount("--deposit", prices.forSeconds(hours * 3600L)));
        out.println("rental " + extended.name() + " now ends " + TIME.format(Instant.ofEpochMilli(extended.endsAt())));
        return 0;
    }

    /** A page of the hub's web pages, on the host this command reached the hub at. */
    private static String webLink(HubClient hub, int httpPort, String path) {
        return "http://" + hub.hub().getHost() + ":" + httpPort + path;
    }

    private int web(HubClient hub, Options options) {
        options.expectPositionals(0);
        HubClient.WebSignIn link = hub.webSignIn(renterKey(home));
        out.println(webLink(hub, link.httpPort(), link.path()));
        out.println("(opens the hub's web pages as this renter key; works once, for 2 minutes)");
        return 0;
    }

    private int wallet(HubClient hub, Options options) {
        if (options.positionals.isEmpty()) {
            options.expectPositionals(0);
            printStatement(hub.wallet(renterKey(home)));
            return 0;
        }
        options.expectPositionals(3);
        String direction = options.positionals.get(0);
        if (!direction.equals("deposit") && !direction.equals("withdraw")) {
            throw new UsageException("wallet takes deposit or withdraw, got '" + direction + "'");
        }
        long amount = parseAmount(options.positionals.get(2), "AMOUNT");
        printStatement(hub.moveMoney(adminSecret(options), direction, options.positionals.get(1), amount, options.require("--ref")));
        return 0;
    }

    private void printStatement(io.edgerent.protocol.Statement statement) {
        out.println("account: " + statement.account());
        out.println("balance: " + statement.balance());
        for (var line : statement.lines()) {
            out.printf("  %s  %+12d  %s%n", TIME.format(Instant.ofEpochMilli(line.at())), line.amount(), line.reference());
        }
    }

    private int earnings(HubClient hub, Options options) {
        options.expectPositionals(0);
        var earnings = hub.earnings(adminSecret(options), options.require("--owner"));
        out.println("owner: " + earnings.owner());
        out.println("balance: " + earnings.balance());
        out.printf("%-16s %12s %8s%n", "DEVICE", "EARNED", "RENTALS");
        for (var d : earnings.devices()) {
            out.printf("%-16s %12d %8d%n", d.deviceId(), d.amount(), d.rentals());
        }
        return 0;
    }

    static long parseAmount(String text, String what) {
        try {
            long amount = Long.parseLong(text);
            if (amount < 0) {
                throw new NumberFormatException();
            }
            return amount;
        } catch (NumberFormatException e) {
            throw new UsageException(what + " is a whole, non-negative number in the smallest currency unit, got '" + text + "'");
        }
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
        List<RentalView> rentals = hub.rentals(renterKey(home));
        if (rentals.isEmpty()) {
            out.println("you have no rentals on this hub");
            return 0;
        }
        out.printf("%-16s %-16s %-10s %-8s %-20s %12s  %s%n", "RENTAL", "DEVICE", "STATE", "TEMPLATE", "ENDS", "HTTP-OUT",
                "SSH / WEB");
        for (RentalView r : rentals) {
            boolean active = r.state().equals(RentalView.ACTIVE);
            out.printf("%-16s %-16s %-10s %-8s %-20s %12d  %s%n", r.name(), r.deviceId(), r.state(), r.template().id(),
                    TIME.format(Instant.ofEpochMilli(r.endsAt())), r.httpBytesOut(), active ? sshCommand(hub, r) + "  " + r.httpUrl() : "-");
        }
        return 0;
    }

    private int end(HubClient hub, Options options) {
        options.expectPositionals(1);
        KeyPair renter = renterKey(home);
        RentalView rental = hub.end(renter, options.positionals.get(0));
        out.println("rental " + rental.name() + " is " + rental.state());
        printSettlement(hub.channel(renter, rental.name()));
        return 0;
    }

    static String sshCommand(HubClient hub, RentalView rental) {
        String host = rental.sshHost() != null ? rental.sshHost() : hub.hub().getHost();
        return "ssh -J " + rental.name() + "@" + host + ":" + rental.sshPort() + " root@" + rental.name();
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
        private static final List<String> FLAGS = List.of("--no-wait", "--detach", "--dashboard", "-h", "--help");
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

        /** The hub, or the hubs of one fleet (comma separated), of --hub or $EDGERENT_HUB. */
        List<URI> hubs() {
            String hub = values.getOrDefault("--hub", System.getenv().getOrDefault("EDGERENT_HUB", "coap://127.0.0.1:5683"));
            if (hub.contains(",")) {
                List<URI> hubs = Dtls.hubAddresses(hub);
                if (hubs.isEmpty()) {
                    throw new UsageException("--hub takes one hub, or several of one fleet separated by commas, each coaps://HOST:PORT"
                            + " (or all coap://127.0.0.1:PORT on the hub machine) and none twice; got " + hub);
                }
                return hubs;
            }
            URI uri = null;
            try {
                uri = new URI(hub.strip());
            } catch (java.net.URISyntaxException e) {
                // refused below, as any other address that is not a hub's
            }
            if (uri == null || !List.of("coap", "coaps").contains(uri.getScheme()) || uri.getHost() == null) {
                throw new UsageException("--hub must look like coaps://HOST:PORT (or coap://127.0.0.1:PORT on the hub machine), got "
                        + hub);
            }
            return List.of(uri);
        }

        java.util.Optional<String> value(String name) {
            return java.util.Optional.ofNullable(values.get(name));
        }

        Template template() {
            String id = value("--template").orElse(Template.BASE.id());
            try {
                return Template.parse(id);
            } catch (io.edgerent.protocol.MalformedMessageException e) {
                throw new UsageException("--template takes base, web or files, got '" + id + "'");
            }
        }

        String require(String name) {
            return value(name).orElseThrow(() -> new UsageException(name + " is required"));
        }

        boolean flag(String name) {
            return values.containsKey(name);
        }

        long amount(String name, long fallback) {
            String text = values.get(name);
            return text == null ? fallback : parseAmount(text, name);
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
                if (!List.of("--hub", "--owner", "--admin-secret", "--hours", "--key", "--no-wait", "--timeout", "--max-price",
                        "--deposit", "--pay-every", "--ref", "--detach", "--template", "--dashboard").contains(name)) {
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
