package io.edgerent.client;

import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Prices;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * What the renter agreed to when renting, kept on the renter's machine ({@code EDGERENT_HOME/renter/rentals/NAME}):
 * when they rented by their own clock, the most they pay per hour, the egress they agreed to pay for. The payer signs
 * no voucher beyond what these allow ({@link #most}), whatever the hub says is due.
 */
public record RentalTerms(long rentedAt, long maxPerHour, long maxEgressBytes) {
    /**
     * Slack for the clocks of the renter, the hub and the device, and for billing by the whole second: what a voucher
     * may promise beyond the time since renting (and the intervals paid ahead).
     */
    public static final long TOLERANCE_SECONDS = 30;

    /**
     * The most the renter promises by {@code now} (their clock), paying {@code aheadSeconds} ahead at the channel's
     * {@code prices}: the time since renting plus that, plus the egress cap, all at those prices.
     */
    public long most(Prices prices, long now, long aheadSeconds) {
        long served = Math.max(0, now - rentedAt) / 1000;
        return Math.addExact(
                prices.forSeconds(served + aheadSeconds + TOLERANCE_SECONDS), prices.forBytes(maxEgressBytes));
    }

    /** Why the renter signs nothing for this channel, or null when its price is the one agreed to. */
    public String refusal(ChannelStatus channel) {
        if (channel.prices().perHour() > maxPerHour) {
            return "the hub asks " + channel.prices().perHour() + " per hour for rental " + channel.rental()
                    + ", above the " + maxPerHour + " you agreed to";
        }
        if (channel.maxEgressBytes() > maxEgressBytes) {
            return "the hub holds an egress cap of " + channel.maxEgressBytes() + " bytes for rental "
                    + channel.rental() + ", above the " + maxEgressBytes + " you chose";
        }
        return null;
    }

    static Path file(Path home, String rental) {
        return home.resolve("renter").resolve("rentals").resolve(rental);
    }

    /** Keeps the terms of {@code rental}, written whole or not at all. */
    public void save(Path home, String rental) {
        Path file = file(home, rental);
        Properties p = new Properties();
        p.setProperty("rentedAt", Long.toString(rentedAt));
        p.setProperty("maxPerHour", Long.toString(maxPerHour));
        p.setProperty("maxEgressBytes", Long.toString(maxEgressBytes));
        try {
            Files.createDirectories(file.getParent());
            Path partial = file.resolveSibling(rental + ".partial");
            try (Writer w = Files.newBufferedWriter(partial)) {
                p.store(w, "what you agreed to when renting " + rental + ": edgerent pay signs nothing beyond it");
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot keep the terms of " + rental + " in " + file + ": " + e, e);
        }
    }

    /** The terms of {@code rental} as this machine kept them when renting it; empty if it did not rent it. */
    public static Optional<RentalTerms> load(Path home, String rental) {
        Path file = file(home, rental);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
            return Optional.of(new RentalTerms(
                    Long.parseLong(p.getProperty("rentedAt")),
                    Long.parseLong(p.getProperty("maxPerHour")),
                    Long.parseLong(p.getProperty("maxEgressBytes"))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the terms of " + rental + " in " + file + ": " + e, e);
        }
    }
}
