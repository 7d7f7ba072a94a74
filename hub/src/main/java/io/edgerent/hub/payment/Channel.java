package io.edgerent.hub.payment;

import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.UsageReport;
import java.util.Optional;

/**
 * A channel as stored, with the state of its rental and what the hub's HTTP router sent out for
 * it ({@code routerBytes}). What its device reported ({@code egressBytes}, {@code usage*}) is in a row of numbers of
 * its own, {@code channel_usage}, keyed by {@code usageId}: a usage report writes that row only.
 */
public record Channel(
        String rental,
        byte[] renterKey,
        String owner,
        String deviceId,
        long deposit,
        Prices prices,
        int feeBps,
        long paid,
        long lastSequence,
        long billedMillis,
        Long meteredUntil,
        long egressBytes,
        long usageSequence,
        long usageOnline,
        long usageCpu,
        long usageIn,
        Long pausedSince,
        String state,
        long ownerShare,
        long hubFee,
        long refund,
        String rentalState,
        long routerBytes,
        long egressCap,
        long usageAt,
        long openedAt,
        String note,
        long usageId) {

    public boolean open() {
        return state.equals(Channels.OPEN);
    }

    /**
     * The egress counted: the container's bytes out as its device reports them (SSH, web, internet),
     * but never less than what the hub's own router sent out for the rental. The router's bytes
     * are part of the device's count, so the larger of the two counts no byte twice.
     */
    long countedEgress() {
        return Math.max(egressBytes, routerBytes);
    }

    /** The egress billed: what was counted, up to the cap the renter chose. */
    long billedEgress() {
        return Math.min(countedEgress(), egressCap);
    }

    /** Whether egress is paid for here and reached the renter's cap: the rental ends. */
    boolean egressCapReached() {
        return prices.perGb() > 0 && countedEgress() >= egressCap;
    }

    /** Whether a voucher was stored: until then the device is not told to serve the rental. */
    public boolean vouched() {
        return lastSequence >= 0;
    }

    long due() {
        return Channels.due(billedMillis, billedEgress(), prices);
    }

    Channel withPayment(long amount, long sequence) {
        return new Channel(
                rental,
                renterKey,
                owner,
                deviceId,
                deposit,
                prices,
                feeBps,
                amount,
                sequence,
                billedMillis,
                meteredUntil,
                egressBytes,
                usageSequence,
                usageOnline,
                usageCpu,
                usageIn,
                pausedSince,
                state,
                ownerShare,
                hubFee,
                refund,
                rentalState,
                routerBytes,
                egressCap,
                usageAt,
                openedAt,
                note,
                usageId);
    }

    Channel withMetering(long billed, long until) {
        return new Channel(
                rental,
                renterKey,
                owner,
                deviceId,
                deposit,
                prices,
                feeBps,
                paid,
                lastSequence,
                billed,
                until,
                egressBytes,
                usageSequence,
                usageOnline,
                usageCpu,
                usageIn,
                pausedSince,
                state,
                ownerShare,
                hubFee,
                refund,
                rentalState,
                routerBytes,
                egressCap,
                usageAt,
                openedAt,
                note,
                usageId);
    }

    Channel withUsage(UsageReport u, long at) {
        return new Channel(
                rental,
                renterKey,
                owner,
                deviceId,
                deposit,
                prices,
                feeBps,
                paid,
                lastSequence,
                billedMillis,
                meteredUntil,
                u.bytesOut(),
                u.sequence(),
                u.onlineSeconds(),
                u.cpuSeconds(),
                u.bytesIn(),
                pausedSince,
                state,
                ownerShare,
                hubFee,
                refund,
                rentalState,
                routerBytes,
                egressCap,
                at,
                openedAt,
                note,
                usageId);
    }

    Channel withPausedSince(Long since) {
        return new Channel(
                rental,
                renterKey,
                owner,
                deviceId,
                deposit,
                prices,
                feeBps,
                paid,
                lastSequence,
                billedMillis,
                meteredUntil,
                egressBytes,
                usageSequence,
                usageOnline,
                usageCpu,
                usageIn,
                since,
                state,
                ownerShare,
                hubFee,
                refund,
                rentalState,
                routerBytes,
                egressCap,
                usageAt,
                openedAt,
                note,
                usageId);
    }

    public ChannelStatus status() {
        return new ChannelStatus(
                rental,
                rentalState,
                deposit,
                due(),
                paid,
                lastSequence,
                billedMillis / 1000,
                billedEgress(),
                prices,
                pausedSince != null,
                state.equals(Channels.SETTLED),
                ownerShare,
                hubFee,
                refund,
                egressCap,
                note);
    }

    /** The channel of {@code rental}, in the caller's transaction; a channel this hub does not hold is refused. */
    static Channel read(Sql sql, String rental) {
        return find(sql, rental)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no channel " + rental + " on this hub"));
    }

    /**
     * A channel's columns, its rental's ({@code r}) and its device's meter (the rental it runs for on the device row
     * {@code d}, its time in the device's {@code device_heard} row {@code h}): its billed time and metering include
     * that {@link Meter} while it is the rental's.
     * The first column is {@code rental}.
     */
    public static final String COLUMNS = "c.rental, c.renter_key, c.owner, c.device_id, c.deposit, c.price_per_hour,"
            + " c.price_per_gb, c.fee_bps, c.paid, c.last_sequence,"
            + " c.billed_ms + CASE WHEN d.metered_rental = c.rental THEN h.metered_ms ELSE 0 END AS billed_ms,"
            + " CASE WHEN d.metered_rental = c.rental THEN h.metered_until ELSE c.metered_until END AS metered_until,"
            + " u.egress_bytes, u.usage_sequence, u.usage_online, u.usage_cpu, u.usage_in, c.paused_since, c.state,"
            + " c.owner_share, c.hub_fee, c.refund, r.state AS rental_state, r.http_bytes_out, c.egress_cap, u.usage_at,"
            + " r.created_at, c.note, c.usage_id";

    /** The channel of {@code rental}, in the caller's transaction, if this hub holds it. */
    static Optional<Channel> find(Sql sql, String rental) {
        return sql.one(
                        "SELECT " + COLUMNS + " FROM channel c JOIN rental r ON r.name = c.rental"
                                + " JOIN channel_usage u ON u.id = c.usage_id LEFT JOIN device d ON d.id = c.device_id"
                                + " LEFT JOIN device_heard h ON h.id = d.heard WHERE c.rental = ?",
                        rental)
                .map(Channel::of);
    }

    /**
     * The channel in {@code row} from its column {@code rental} on, selected as {@link #COLUMNS}; null when the
     * query found none (an outer join).
     */
    public static Channel in(Sql.Row row) {
        Sql.Row r = row.from("rental");
        return r.isNull("rental") ? null : of(r);
    }

    private static Channel of(Sql.Row r) {
        return new Channel(
                r.text("rental"),
                r.bytes("renter_key"),
                r.text("owner"),
                r.text("device_id"),
                r.integer("deposit"),
                new Prices(r.integer("price_per_hour"), r.integer("price_per_gb")),
                (int) r.integer("fee_bps"),
                r.integer("paid"),
                r.integer("last_sequence"),
                r.integer("billed_ms"),
                r.nullableInteger("metered_until"),
                r.integer("egress_bytes"),
                r.integer("usage_sequence"),
                r.integer("usage_online"),
                r.integer("usage_cpu"),
                r.integer("usage_in"),
                r.nullableInteger("paused_since"),
                r.text("state"),
                orZero(r.nullableInteger("owner_share")),
                orZero(r.nullableInteger("hub_fee")),
                orZero(r.nullableInteger("refund")),
                r.text("rental_state"),
                r.integer("http_bytes_out"),
                r.integer("egress_cap"),
                r.isNull("usage_at") ? r.integer("created_at") : r.integer("usage_at"),
                r.integer("created_at"),
                r.text("note"),
                r.integer("usage_id"));
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
