package io.edgerent.hub;

import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import java.math.BigInteger;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Pay-as-you-go channels, one per rental: the deposit waits in escrow, the renter's vouchers
 * raise what is paid, metered online time (and egress) raises what is due, and settlement splits
 * the escrow between owner, hub and renter. Every method runs inside the caller's transaction.
 */
final class Channels {
    static final String OPEN = "open";
    static final String SETTLED = "settled";

    private final Sql sql;
    private final Ledger ledger;
    private final HubConfig config;
    private final Clock clock;

    Channels(Sql sql, Ledger ledger, HubConfig config, Clock clock) {
        this.sql = sql;
        this.ledger = ledger;
        this.config = config;
        this.clock = clock;
    }

    /** What enforcement decided after a change to a channel. */
    enum Decision {
        NONE, PAUSE, RESUME, END_UNPAID, END_EXHAUSTED
    }

    /** Opens the rental's channel: the deposit moves from the renter's wallet into escrow. */
    void open(String rental, byte[] renterKey, String owner, String deviceId, long deposit, Prices prices) throws SQLException {
        sql.update("INSERT INTO channel(rental, renter_key, owner, device_id, deposit, price_per_hour, price_per_gb, fee_bps,"
                + " paid, last_sequence, billed_ms, egress_bytes, usage_sequence, usage_online, usage_cpu, usage_memory, usage_in,"
                + " state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, -1, 0, 0, -1, 0, 0, 0, 0, ?)", rental, renterKey, owner, deviceId,
                deposit, prices.perHour(), prices.perGb(), config.feeBasisPoints(), OPEN);
        ledger.transfer("open:" + rental, Ledger.renterWallet(renterKey), Ledger.escrow(rental), deposit);
    }

    /** Adds to the deposit of an open channel (a rental extended). */
    void topUp(String rental, String reference, long amount) throws SQLException {
        Sql.Row c = channel(rental);
        requireOpen(rental, c);
        ledger.transfer(reference, Ledger.renterWallet(c.bytes(2)), Ledger.escrow(rental), amount);
        sql.update("UPDATE channel SET deposit = deposit + ? WHERE rental = ?", amount, rental);
    }

    /**
     * Counts the time since the last heartbeat as billed, unless the gap exceeds the grace period
     * (the device was offline) or the rental is paused; then applies the payment rules.
     */
    Decision meter(String rental) throws SQLException {
        Optional<Sql.Row> found = sql.one("SELECT metered_until, paused_since, state FROM channel WHERE rental = ?", rental);
        if (found.isEmpty() || !found.get().text(3).equals(OPEN)) {
            return Decision.NONE;
        }
        long now = clock.millis();
        Long since = found.get().nullableInteger(1);
        if (since != null && found.get().nullableInteger(2) == null) {
            long gap = now - since;
            if (gap > 0 && gap <= config.offlineAfter().toMillis()) {
                sql.update("UPDATE channel SET billed_ms = billed_ms + ? WHERE rental = ?", gap, rental);
            }
        }
        sql.update("UPDATE channel SET metered_until = ? WHERE rental = ?", now, rental);
        return enforce(rental);
    }

    /**
     * Accepts a voucher that verifies with the channel's renter key, on an open channel, with a
     * sequence after the last one and an amount neither below the last nor above the deposit.
     * The voucher is stored in the caller's transaction, so it is durable once that commits.
     */
    Decision acceptVoucher(Voucher voucher) throws SQLException {
        Sql.Row c = channel(voucher.channel());
        if (!voucher.verifies(c.bytes(2))) {
            throw new RefusedException(ErrorCode.UNAUTHORIZED, "voucher signature does not verify with the channel's renter key");
        }
        requireOpen(voucher.channel(), c);
        long lastSequence = c.integer(10);
        if (voucher.sequence() <= lastSequence) {
            throw new RefusedException(ErrorCode.CONFLICT,
                    "voucher sequence " + voucher.sequence() + " is not after " + lastSequence + " (replayed or out of order)");
        }
        long paid = c.integer(9);
        if (voucher.amount() < paid) {
            throw new RefusedException(ErrorCode.PRECONDITION_FAILED,
                    "voucher amount " + voucher.amount() + " is below the " + paid + " already promised");
        }
        long deposit = c.integer(5);
        if (voucher.amount() > deposit) {
            throw new RefusedException(ErrorCode.UNPROCESSABLE,
                    "voucher amount " + voucher.amount() + " exceeds the deposit of " + deposit);
        }
        sql.update("INSERT INTO voucher(rental, sequence, amount, issued_at, signature, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                voucher.channel(), voucher.sequence(), voucher.amount(), voucher.issuedAt(), voucher.signature(), clock.millis());
        sql.update("UPDATE channel SET paid = ?, last_sequence = ? WHERE rental = ?", voucher.amount(), voucher.sequence(),
                voucher.channel());
        return enforce(voucher.channel());
    }

    /** Records a device's cumulative usage report for its rental; egress is billed from it. */
    Decision recordUsage(String deviceId, UsageReport usage) throws SQLException {
        Sql.Row c = channel(usage.rental());
        if (!c.text(4).equals(deviceId)) {
            throw new RefusedException(ErrorCode.FORBIDDEN, "rental " + usage.rental() + " is not served by " + deviceId);
        }
        requireOpen(usage.rental(), c);
        Sql.Row u = sql.one("SELECT usage_sequence, egress_bytes, usage_online, usage_cpu, usage_in FROM channel WHERE rental = ?",
                usage.rental()).orElseThrow();
        if (usage.sequence() <= u.integer(1)) {
            throw new RefusedException(ErrorCode.CONFLICT, "usage sequence " + usage.sequence() + " is not after " + u.integer(1));
        }
        if (usage.bytesOut() < u.integer(2) || usage.onlineSeconds() < u.integer(3) || usage.cpuSeconds() < u.integer(4)
                || usage.bytesIn() < u.integer(5)) {
            throw new RefusedException(ErrorCode.PRECONDITION_FAILED, "usage is cumulative and may not decrease");
        }
        sql.update("UPDATE channel SET usage_sequence = ?, egress_bytes = ?, usage_online = ?, usage_cpu = ?,"
                + " usage_memory = GREATEST(usage_memory, ?), usage_in = ? WHERE rental = ?", usage.sequence(), usage.bytesOut(),
                usage.onlineSeconds(), usage.cpuSeconds(), usage.peakMemoryBytes(), usage.bytesIn(), usage.rental());
        return enforce(usage.rental());
    }

    /**
     * The payment rules: the deposit used up ends the rental; paid lagging behind due by more than
     * the grace allowance pauses it, catching up resumes it; paused beyond the limit ends it.
     */
    Decision enforce(String rental) throws SQLException {
        Sql.Row c = channel(rental);
        if (!c.text(20).equals(OPEN)) {
            return Decision.NONE;
        }
        long due = due(c);
        long paid = c.integer(9);
        long deposit = c.integer(5);
        Long pausedSince = c.nullableInteger(19);
        long allowance = amountFor(config.paymentGrace().toSeconds(), c.integer(6));
        long now = clock.millis();
        if (due >= deposit && deposit > 0) {
            return Decision.END_EXHAUSTED;
        }
        if (due - paid > allowance) {
            if (pausedSince == null) {
                sql.update("UPDATE channel SET paused_since = ? WHERE rental = ?", now, rental);
                return Decision.PAUSE;
            }
            return now - pausedSince > config.suspendLimit().toMillis() ? Decision.END_UNPAID : Decision.NONE;
        }
        if (pausedSince != null) {
            sql.update("UPDATE channel SET paused_since = NULL WHERE rental = ?", rental);
            return Decision.RESUME;
        }
        return Decision.NONE;
    }

    boolean isPaused(String rental) throws SQLException {
        return sql.one("SELECT paused_since FROM channel WHERE rental = ?", rental).map(r -> r.nullableInteger(1) != null)
                .orElse(false);
    }

    /**
     * Settles once: metering stops, the last voucher capped at what is due is charged, the owner
     * gets it less the hub's fee, the rest of the escrow returns to the renter. A second call
     * changes nothing.
     */
    void settle(String rental) throws SQLException {
        Optional<Sql.Row> found = sql.one("SELECT state FROM channel WHERE rental = ?", rental);
        if (found.isEmpty() || !found.get().text(1).equals(OPEN)) {
            return;
        }
        // Billed time ends at the last heartbeat: time since then is not known to have been served.
        Sql.Row c = channel(rental);
        long deposit = c.integer(5);
        long charge = Math.min(c.integer(9), Math.min(due(c), deposit));
        long fee = BigInteger.valueOf(charge).multiply(BigInteger.valueOf(c.integer(8))).divide(BigInteger.valueOf(10_000))
                .longValueExact();
        long ownerShare = charge - fee;
        long refund = deposit - charge;
        Map<String, Long> entries = new LinkedHashMap<>();
        entries.put(Ledger.escrow(rental), -deposit);
        entries.put(Ledger.ownerEarnings(c.text(3)), ownerShare);
        entries.put(Ledger.HUB_FEES, fee);
        entries.put(Ledger.renterWallet(c.bytes(2)), refund);
        ledger.post("settle:" + rental, entries);
        sql.update("UPDATE channel SET state = ?, owner_share = ?, hub_fee = ?, refund = ?, settled_at = ?, paused_since = NULL"
                + " WHERE rental = ?", SETTLED, ownerShare, fee, refund, clock.millis(), rental);
    }

    ChannelStatus status(String rental, String rentalState) throws SQLException {
        Sql.Row c = channel(rental);
        return new ChannelStatus(rental, rentalState, c.integer(5), due(c), c.integer(9), c.integer(10), c.integer(11) / 1000,
                c.integer(13), new Prices(c.integer(6), c.integer(7)), c.nullableInteger(19) != null, c.text(20).equals(SETTLED),
                orZero(c.nullableInteger(21)), orZero(c.nullableInteger(22)), orZero(c.nullableInteger(23)));
    }

    Optional<byte[]> renterKey(String rental) throws SQLException {
        return sql.one("SELECT renter_key FROM channel WHERE rental = ?", rental).map(r -> r.bytes(1));
    }

    /** What the metered time and egress cost, billed by the whole second and the whole byte, rounded down. */
    static long due(long billedMillis, long egressBytes, long perHour, long perGb) {
        BigInteger time = BigInteger.valueOf(billedMillis / 1000).multiply(BigInteger.valueOf(perHour)).divide(BigInteger.valueOf(3600));
        BigInteger egress = BigInteger.valueOf(egressBytes).multiply(BigInteger.valueOf(perGb))
                .divide(BigInteger.valueOf(1_000_000_000L));
        return time.add(egress).min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact();
    }

    private static long due(Sql.Row c) {
        return due(c.integer(11), c.integer(13), c.integer(6), c.integer(7));
    }

    static long amountFor(long seconds, long perHour) {
        return due(seconds * 1000, 0, perHour, 0);
    }

    /**
     * Columns: 1 rental, 2 renter_key, 3 owner, 4 device_id, 5 deposit, 6 price_per_hour, 7 price_per_gb, 8 fee_bps,
     * 9 paid, 10 last_sequence, 11 billed_ms, 12 metered_until, 13 egress_bytes, 14 usage_sequence, 15 usage_online,
     * 16 usage_cpu, 17 usage_memory, 18 usage_in, 19 paused_since, 20 state, 21 owner_share, 22 hub_fee, 23 refund.
     */
    private Sql.Row channel(String rental) throws SQLException {
        return sql.one("SELECT rental, renter_key, owner, device_id, deposit, price_per_hour, price_per_gb, fee_bps, paid,"
                + " last_sequence, billed_ms, metered_until, egress_bytes, usage_sequence, usage_online, usage_cpu, usage_memory,"
                + " usage_in, paused_since, state, owner_share, hub_fee, refund FROM channel WHERE rental = ?", rental)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no channel " + rental + " on this hub"));
    }

    private static void requireOpen(String rental, Sql.Row c) {
        if (!c.text(20).equals(OPEN)) {
            throw new RefusedException(ErrorCode.FORBIDDEN, "channel " + rental + " is closed (settled)");
        }
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
