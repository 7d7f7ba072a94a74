package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.client.Payer;
import io.edgerent.client.RentalTerms;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Template;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

@Command(
        name = "rent",
        header = "rent a device, print the ssh command, then pay as you go",
        sortOptions = false,
        description = {
            "Rents DEVICE (an id from `edgerent market`) for N hours, waits until its container is ready, prints the rental name and"
                    + " the ssh command, then stays running and pays as you go: every --pay-every seconds it signs a voucher for what"
                    + " is due plus two intervals ahead, and shows one status line. Ctrl-C ends the rental; you are refunded what you"
                    + " did not use.",
            "Your renter identity (a key pair under $EDGERENT_HOME/renter) is created on first use."
        })
final class RentCommand extends HubCommand {
    @Parameters(index = "0", paramLabel = "DEVICE")
    String device;

    @Option(
            names = "--template",
            paramLabel = "T",
            defaultValue = "base",
            converter = TemplateConverter.class,
            description = {
                "what the container runs besides sshd (the device must offer it):",
                "  base   an SSH box (default)",
                "  web    a static web server for /data/www at the rental's web address",
                "  files  a file host at the web address: upload, download, share links, a quota of the rental's storage. Its"
                        + " password is made here, printed once and kept in $EDGERENT_HOME/renter/RENTAL.password; the hub and the"
                        + " device see only its SHA-256. Downloads are billed at the device's price per GB."
            })
    Template template;

    @Option(names = "--hours", paramLabel = "N", defaultValue = "1", description = "how long (default 1, at most 744)")
    int hours;

    @Option(
            names = "--key",
            paramLabel = "PUBKEY",
            description = {
                "an OpenSSH public key, or a file holding one, that may log in as"
                        + " root; default ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub"
            })
    String key;

    @Option(
            names = "--max-price",
            paramLabel = "P",
            description = "the most you pay per hour (default: the device's listed price)")
    String maxPrice;

    @Option(
            names = "--deposit",
            paramLabel = "D",
            description = "moved from your wallet into escrow (default: price x hours)")
    String deposit;

    @Option(
            names = "--max-egress-gb",
            paramLabel = "GB",
            defaultValue = "10",
            description = {
                "the most egress (data sent out of the container: downloads, web, SSH) you agree to pay for, in GB of 10^9"
                        + " bytes (default 10; decimals allowed). Egress beyond it is not billed: the rental ends when it is"
                        + " reached. Your vouchers never promise more than the price for the time since you rented plus"
                        + " this much egress."
            })
    String maxEgressGb;

    @Mixin
    PayEveryOption payEvery;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "300",
            description = "how long to wait for the container to be ready (default 300)")
    int timeout;

    @ArgGroup(exclusive = true)
    Leave leave = new Leave();

    static final class Leave {
        @Option(
                names = "--detach",
                description = {
                    "wait until the container is ready, print, and exit after the first voucher (two --pay-every"
                            + " intervals ahead); pay on with `edgerent pay RENTAL`, or the rental pauses once what is due"
                            + " passes it"
                })
        boolean detach;

        @Option(names = "--no-wait", description = "like --detach, without waiting for the container")
        boolean noWait;
    }

    RentCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        String sshKey = sshKey(key);
        Listing listing = hub.listings().stream()
                .filter(l -> l.deviceId().equals(device))
                .findFirst()
                .orElse(null);
        long listed = listing == null ? 0 : listing.prices().perHour();
        long most = maxPrice == null ? listed : Show.amount(maxPrice, "--max-price");
        long escrow = deposit == null
                ? new Prices(Math.min(listed, most), 0).forSeconds(hours * 3600L)
                : Show.amount(deposit, "--deposit");
        long maxEgress = egressBytes(maxEgressGb);
        Duration every = Duration.ofSeconds(payEvery.seconds());
        KeyPair renter = context.renterKey();
        String password = template == Template.FILES ? newPassword() : null;
        RentalTerms terms = new RentalTerms(System.currentTimeMillis(), most, maxEgress);
        RentalView rental = hub.rent(
                renter,
                new RentRequest(
                        device,
                        hours,
                        sshKey,
                        most,
                        escrow,
                        template,
                        password == null ? null : sha256Hex(password),
                        maxEgress));
        terms.save(context.home(), rental.name());
        Path passwordFile = password == null ? null : savePassword(rental.name(), password);
        firstVoucher(hub, renter, rental.name(), terms, every);
        if (!leave.noWait) {
            rental = awaitActive(hub, renter, rental);
        }
        var out = context.out();
        out.println("rental: " + rental.name());
        out.println("state: " + rental.state());
        out.println("ends: " + Show.time(rental.endsAt()));
        out.println("deposit: " + escrow);
        out.println("egress cap: " + Show.gb(maxEgress) + " (--max-egress-gb)");
        out.println("ssh: " + Show.sshCommand(hub, rental));
        out.println("template: " + rental.template().id());
        switch (rental.template()) {
            case BASE -> out.println("web: " + rental.httpUrl() + " (port 80 in the container)");
            case WEB -> out.println("web: " + rental.httpUrl() + " (serves /data/www)");
            case FILES -> {
                out.println("files: " + rental.httpUrl() + " (user renter, password " + password + ", kept in "
                        + passwordFile + ")");
                out.println("upload: curl -u renter:" + password + " -T FILE " + rental.httpUrl() + "files/FILE");
            }
        }
        out.flush();
        if (leave.noWait || leave.detach) {
            return 0;
        }
        return PayLoop.payUntilEnd(context, hub, renter, rental.name(), (int) every.toSeconds());
    }

    /**
     * The first voucher, sent with the rent: the device serves a rental only once one is stored. It promises the
     * first two --pay-every intervals at the channel's price, once the renter checked that price is the one agreed to.
     */
    private void firstVoucher(HubClient hub, KeyPair renter, String rental, RentalTerms terms, Duration every) {
        ChannelStatus channel = hub.channel(renter, rental);
        String refusal = terms.refusal(channel);
        if (refusal != null) {
            hub.end(renter, rental);
            throw new Payer.Overcharged(refusal + "; rental " + rental + " was ended unpaid");
        }
        new Payer(hub, renter, rental, terms, every, context.err(), false).payOnce(channel);
    }

    /** {@code --max-egress-gb}: GB of 10^9 bytes, decimals allowed, 0 to 100,000 (100 TB). */
    static long egressBytes(String gb) {
        try {
            return RentRequest.egressBytes(gb);
        } catch (MalformedMessageException e) {
            throw new UsageException("--max-egress-gb takes a number of GB from 0 to 100000, got '" + gb + "'");
        }
    }

    /** Refuses a template edgerent does not know, naming the ones it does. */
    static final class TemplateConverter implements ITypeConverter<Template> {
        @Override
        public Template convert(String id) {
            try {
                return Template.parse(id);
            } catch (MalformedMessageException e) {
                throw new TypeConversionException("--template takes base, web or files, got '" + id + "'");
            }
        }
    }

    private RentalView awaitActive(HubClient hub, KeyPair renter, RentalView rental) {
        var err = context.err();
        err.print("preparing " + rental.name() + " on " + rental.deviceId() + " ");
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            RentalView now = hub.rentals(renter).stream()
                    .filter(r -> r.name().equals(rental.name()))
                    .findFirst()
                    .orElse(rental);
            if (!now.state().equals(RentalView.PREPARING)) {
                err.println(now.state().equals(RentalView.ACTIVE) ? " ready" : " " + now.state());
                if (!now.state().equals(RentalView.ACTIVE)) {
                    throw new HubClient.HubRefusedException(
                            4, "", "rental " + now.name() + " is " + now.state() + " before it was ready");
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
        throw new HubClient.HubUnreachableException("rental " + rental.name() + " was not ready within " + timeout
                + " s; it is still being prepared: check `edgerent rentals`");
    }

    /** 128 random bits, URL-safe: typed once, then kept by the browser or in the password file. */
    private static String newPassword() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path savePassword(String rental, String password) {
        Path file = context.home().resolve("renter").resolve(rental + ".password");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, password + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot keep the password in " + file + ": " + e.getMessage(), e);
        }
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
        throw new UsageException(
                given != null
                        ? "no such key file: " + given
                        : "no SSH public key found in ~/.ssh; make one with ssh-keygen -t ed25519, or pass --key");
    }
}
