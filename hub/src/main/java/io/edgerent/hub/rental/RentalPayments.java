package io.edgerent.hub.rental;

import io.edgerent.hub.device.Devices;
import io.edgerent.hub.events.Events;
import io.edgerent.hub.payment.Channels;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * What renters and devices say about a rental's money: the renter's vouchers, the device's usage, the channel's
 * status, and to a linked hub how a rental it passed on settled. The payment rules' decisions are carried out as
 * every other change of a rental is ({@link Rentals}).
 */
public final class RentalPayments {
    private final Sql sql;
    private final Clock clock;
    private final Channels channels;
    private final Events events;
    private final Rentals rentals;
    private final Devices devices;

    public RentalPayments(Sql sql, Clock clock, Channels channels, Events events, Rentals rentals, Devices devices) {
        this.sql = sql;
        this.clock = clock;
        this.channels = channels;
        this.events = events;
        this.rentals = rentals;
        this.devices = devices;
    }

    /**
     * Accepts one renter's voucher and applies the payment rules; answers the channel's status.
     * It takes the same path as the voucher desk's batches, as a batch of one.
     */
    public ChannelStatus acceptVoucher(Voucher voucher) {
        Channels.requireSignature(
                voucher,
                voucherKeyOf(voucher.channel())
                        .orElseThrow(() -> new RefusedException(
                                ErrorCode.NOT_FOUND, "no channel " + voucher.channel() + " on this hub")));
        return acceptVerifiedVoucher(voucher);
    }

    /** Accepts a voucher whose signature was checked against its channel's key. */
    public ChannelStatus acceptVerifiedVoucher(Voucher voucher) {
        Events.Changes changes = events.changes();
        return changes.commit(() -> accept(channels.acceptVerifiedVoucher(voucher), changes));
    }

    /** Carries out a voucher's outcome; the channel read again only when the rules changed the rental. */
    private ChannelStatus accept(Channels.Outcome outcome, Events.Changes changes) {
        String rental = outcome.channel().rental();
        rentals.apply(rental, outcome.channel().deviceId(), outcome.decision(), changes);
        return outcome.decision() == Channels.Decision.NONE ? outcome.channel().status() : channels.status(rental);
    }

    /**
     * How a rental the linked hub {@code hub} passed on stands, for that hub: the renter's view of it,
     * and once settled, the deposit it held and what went back to {@code hub}.
     */
    public byte[] passedSettlement(String rental, String hub) {
        Optional<byte[]> answer = sql.transaction(() -> {
            if (channels.fundedBy(rental).filter(hub::equals).isEmpty()) {
                // Not here for that hub, and from now on never: a rent request under the name arriving late is refused.
                // One signed longer ago than the freshness window is refused by its signature check: those names are
                // let go.
                sql.update(
                        "DELETE FROM given_up_rental WHERE given_up_at < ?", now() - 2 * SignedRequest.MAX_AGE_MILLIS);
                if (sql.one(
                                "SELECT name FROM rental WHERE name = ? UNION SELECT name FROM given_up_rental WHERE name = ?",
                                rental,
                                rental)
                        .isEmpty()) {
                    sql.update(
                            "INSERT INTO given_up_rental(name, hub, given_up_at) VALUES (?, ?, ?)", rental, hub, now());
                }
                return Optional.<byte[]>empty();
            }
            ChannelStatus c = channels.status(rental);
            return Optional.of(Cbor.encode(Map.of(
                    "settled",
                    c.settled(),
                    "deposit",
                    c.deposit(),
                    "refund",
                    c.refund(),
                    "view",
                    rentals.rentalView(rental).encode())));
        });
        return answer.orElseThrow(() -> new RefusedException(
                ErrorCode.NOT_FOUND,
                "no rental " + rental + " passed on by hub " + hub + ", and none will open under that name"));
    }

    /** The key that signs a channel's vouchers; it never changes, so callers may keep it. */
    public Optional<byte[]> voucherKeyOf(String rental) {
        return sql.transaction(() -> channels.voucherKey(rental));
    }

    public ChannelStatus channel(byte[] renterKey, String name) {
        return sql.transaction(() -> {
            rentals.requireRenter(renterKey, name);
            return channels.status(name);
        });
    }

    /**
     * Records a device's usage report; its caller checked it is signed with the device's registered key. An impossible
     * one changes nothing but the device's mark, for its owner and renters to see: the refusal is returned (to be
     * answered), not thrown, so that the mark commits.
     */
    public UsageAnswer recordUsage(String deviceId, UsageReport usage) {
        Events.Changes changes = events.changes();
        try {
            return new UsageAnswer(
                    changes.commit(() -> {
                        Channels.Outcome outcome = channels.recordUsage(deviceId, usage);
                        rentals.apply(usage.rental(), deviceId, outcome.decision(), changes);
                        return outcome.decision() == Channels.Decision.NONE
                                ? outcome.channel().status()
                                : channels.status(usage.rental());
                    }),
                    null);
        } catch (Channels.ImpossibleUsage impossible) {
            devices.flag(deviceId, impossible.getMessage());
            return new UsageAnswer(null, impossible);
        }
    }

    /** A usage report's answer: the channel after it, or why it was refused as impossible. */
    public record UsageAnswer(ChannelStatus channel, Channels.ImpossibleUsage impossible) {
        /** The channel, or the refusal thrown. */
        public ChannelStatus orThrow() {
            if (impossible != null) {
                throw impossible;
            }
            return channel;
        }
    }

    private long now() {
        return clock.millis();
    }
}
