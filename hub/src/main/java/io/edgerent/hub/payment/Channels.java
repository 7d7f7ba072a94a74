package io.edgerent.hub.payment;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import java.math.BigInteger;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pay-as-you-go channels, one per rental: the deposit waits in escrow, the renter's vouchers
 * raise what is paid, metered online time (and egress) raises what is due, and settlement splits
 * the escrow between owner, hub and renter. Every method runs inside the caller's transaction.
 */
public final class Channels {
    static final String OPEN = "open";
    public static final String SETTLED = "settled";
    /**
     * Egress a renter may owe beyond what their vouchers promised before the rental pauses: a download is
     * billed when it is counted, the renter's next voucher pays it, and meanwhile visitors are still served.
     * Time is paid ahead (the rental pauses as soon as what is due passes what is promised); this much
     * traffic is all an owner serves unpaid.
     */
    static final long EGRESS_GRACE_BYTES = 100_000_000L;
    /**
     * The most a device can send or receive per second: a Raspberry Pi's fastest link, gigabit Ethernet.
     * A usage report that grows faster is impossible, and refused.
     */
    public static final long MOST_BYTES_PER_SECOND = 125_000_000L;
    /** What a usage report may run ahead of the hub's clock: transit, and the device's clock. */
    static final long REPORT_SLACK_MILLIS = 5_000;

    private final Sql sql;
    private final Ledger ledger;
    private final HubConfig config;
    private final Clock clock;

    public Channels(Sql sql, Ledger ledger, HubConfig config, Clock clock) {
        this.sql = sql;
        this.ledger = ledger;
        this.config = config;
        this.clock = clock;
    }

    /** What enforcement decided after a change to a channel. */
    public enum Decision {
        NONE,
        /** The first voucher is stored: the device is told to serve the rental. */
        SERVE,
        PAUSE,
        RESUME,
        END_UNPAID,
        END_EXHAUSTED
    }

    /**
     * A device's usage report the hub refuses as impossible: usage of a rental the device does not serve, more
     * bytes than its link carries in the time since its last report, or more online time than has passed since the
     * rental opened. The device is marked for it ({@code reason} is the metric's label).
     */
    public static final class ImpossibleUsage extends RefusedException {
        static final String NOT_SERVED = "not_served";
        static final String EGRESS_RATE = "egress_rate";
        static final String ONLINE_TIME = "online_time";
        /** Every {@link #reason}: the metrics show each from the start. */
        public static final List<String> REASONS = List.of(NOT_SERVED, EGRESS_RATE, ONLINE_TIME);

        public final String reason;

        ImpossibleUsage(ErrorCode code, String reason, String message) {
            super(code, message);
            this.reason = reason;
        }
    }

    /**
     * Opens the rental's channel: the deposit moves into escrow from the renter's wallet, or from the
     * clearing account of the linked hub {@code fundedBy} that passed the rental on (else null). Its
     * vouchers verify with {@code voucherKey}, the key a renter's page made for it, or (null) the renter key.
     */
    public void open(
            String rental,
            byte[] renterKey,
            byte[] voucherKey,
            String owner,
            String deviceId,
            long deposit,
            long egressCap,
            Prices prices,
            String fundedBy) {
        long usageId = sql.nextId("channel_usage");
        sql.update(
                "INSERT INTO channel_usage(id, usage_sequence, egress_bytes, usage_online, usage_cpu, usage_memory,"
                        + " usage_in, usage_at) VALUES (?, -1, 0, 0, 0, 0, 0, ?)",
                usageId,
                clock.millis());
        sql.update(
                "INSERT INTO channel(rental, renter_key, voucher_key, owner, device_id, deposit, price_per_hour, price_per_gb,"
                        + " fee_bps, paid, last_sequence, billed_ms, state, funded_by, egress_cap, usage_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, -1, 0, ?, ?, ?, ?)",
                rental,
                renterKey,
                voucherKey,
                owner,
                deviceId,
                deposit,
                prices.perHour(),
                prices.perGb(),
                config.feeBasisPoints(),
                OPEN,
                fundedBy,
                egressCap,
                usageId);
        ledger.transfer("open:" + rental, funding(rental), Ledger.escrow(rental), deposit);
    }

    /** The account a channel's deposit came from and its refund goes back to. */
    private String funding(String rental) {
        Sql.Row r = sql.one("SELECT renter_key, funded_by FROM channel WHERE rental = ?", rental)
                .orElseThrow();
        return r.text(2) == null ? Ledger.renterWallet(r.bytes(1)) : Ledger.clearing(r.text(2));
    }

    /** The linked hub that funded a channel, if one did. */
    public Optional<String> fundedBy(String rental) {
        return sql.one("SELECT funded_by FROM channel WHERE rental = ?", rental).map(r -> r.text(1));
    }

    /** Adds to the deposit of an open channel (a rental extended). */
    public void topUp(String rental, String reference, long amount) {
        Channel c = channel(rental);
        requireOpen(c);
        ledger.transfer(reference, funding(rental), Ledger.escrow(rental), amount);
        sql.update("UPDATE channel SET deposit = deposit + ? WHERE rental = ?", amount, rental);
    }

    /**
     * Counts the time since the last heartbeat as billed, unless the gap exceeds the grace period
     * (the device was offline) or the rental is paused; then applies the payment rules. The time goes on the device's
     * meter, {@code held}, which the caller writes with the heartbeat ({@link Metered#meter}); a meter held for another
     * rental is first folded into that rental's channel.
     */
    public Metered meter(Channel c, Meter held) {
        if (!c.open()) {
            return new Metered(Decision.NONE, held);
        }
        long now = clock.millis();
        long gap = c.meteredUntil() != null && c.pausedSince() == null ? now - c.meteredUntil() : 0;
        long billed = gap > 0 && gap <= config.offlineAfter().toMillis() ? gap : 0;
        Meter meter;
        if (held.isFor(c.rental())) {
            meter = new Meter(c.rental(), held.millis() + billed, now);
        } else {
            if (held.rental() != null) {
                sql.update(
                        "UPDATE channel SET billed_ms = billed_ms + ?, metered_until = ? WHERE rental = ?",
                        held.millis(),
                        held.until(),
                        held.rental());
            }
            meter = new Meter(c.rental(), billed, now);
        }
        return new Metered(
                enforce(c.withMetering(c.billedMillis() + billed, now)).decision(), meter);
    }

    /** A heartbeat's metering: what the payment rules decided, and the device's meter to write with the heartbeat. */
    public record Metered(Decision decision, Meter meter) {}

    /** Refuses a voucher that does not verify with the key of the channel ({@link #voucherKey}). */
    public static void requireSignature(Voucher voucher, byte[] renterKey) {
        if (!voucher.verifies(renterKey)) {
            throw new RefusedException(
                    ErrorCode.UNAUTHORIZED, "voucher signature does not verify with the channel's key");
        }
    }

    /** A change to a channel: what the payment rules decided, and the channel after it. */
    public record Outcome(Decision decision, Channel channel) {}

    /**
     * Accepts a voucher whose signature was checked against the channel's key: on an open channel,
     * with a sequence after the last one and an amount neither below the last nor above the deposit.
     * It replaces the channel's stored voucher in the caller's transaction: the latest voucher
     * promises everything paid so far, so it is all settlement needs.
     */
    public Outcome acceptVerifiedVoucher(Voucher voucher) {
        Channel c = channel(voucher.channel());
        requireOpen(c);
        if (voucher.sequence() <= c.lastSequence()) {
            throw new RefusedException(
                    ErrorCode.CONFLICT,
                    "voucher sequence " + voucher.sequence() + " is not after " + c.lastSequence()
                            + " (replayed or out of order)");
        }
        if (voucher.amount() < c.paid()) {
            throw new RefusedException(
                    ErrorCode.PRECONDITION_FAILED,
                    "voucher amount " + voucher.amount() + " is below the " + c.paid() + " already promised");
        }
        if (voucher.amount() > c.deposit()) {
            throw new RefusedException(
                    ErrorCode.UNPROCESSABLE,
                    "voucher amount " + voucher.amount() + " exceeds the deposit of " + c.deposit());
        }
        sql.update(
                "UPDATE channel SET paid = ?, last_sequence = ?, voucher_issued_at = ?, voucher_signature = ?,"
                        + " voucher_received_at = ? WHERE rental = ?",
                voucher.amount(),
                voucher.sequence(),
                voucher.issuedAt(),
                voucher.signature(),
                clock.millis(),
                voucher.channel());
        Outcome outcome = enforce(c.withPayment(voucher.amount(), voucher.sequence()));
        return !c.vouched() && outcome.decision() == Decision.NONE
                ? new Outcome(Decision.SERVE, outcome.channel())
                : outcome;
    }

    /**
     * Records a device's cumulative usage report for its rental; egress is billed from it. A report no device could
     * have made honestly is refused ({@link ImpossibleUsage}) and changes nothing.
     */
    public Outcome recordUsage(String deviceId, UsageReport usage) {
        Channel c = Channel.find(sql, usage.rental())
                .filter(served -> served.deviceId().equals(deviceId))
                .orElseThrow(() -> new ImpossibleUsage(
                        ErrorCode.FORBIDDEN,
                        ImpossibleUsage.NOT_SERVED,
                        "rental " + usage.rental() + " is not served by " + deviceId));
        requireOpen(c);
        if (usage.sequence() <= c.usageSequence()) {
            throw new RefusedException(
                    ErrorCode.CONFLICT, "usage sequence " + usage.sequence() + " is not after " + c.usageSequence());
        }
        if (usage.bytesOut() < c.egressBytes()
                || usage.onlineSeconds() < c.usageOnline()
                || usage.cpuSeconds() < c.usageCpu()
                || usage.bytesIn() < c.usageIn()) {
            throw new RefusedException(ErrorCode.PRECONDITION_FAILED, "usage is cumulative and may not decrease");
        }
        long now = clock.millis();
        long carried = mostBytesIn(Math.max(0, now - c.usageAt()) + REPORT_SLACK_MILLIS);
        long moreOut = usage.bytesOut() - c.egressBytes();
        long moreIn = usage.bytesIn() - c.usageIn();
        if (moreOut > carried || moreIn > carried) {
            throw new ImpossibleUsage(
                    ErrorCode.UNPROCESSABLE,
                    ImpossibleUsage.EGRESS_RATE,
                    "usage report of rental " + usage.rental() + " adds " + Math.max(moreOut, moreIn)
                            + " bytes in " + Math.max(0, now - c.usageAt()) / 1000 + " s; no device's link carries more"
                            + " than " + MOST_BYTES_PER_SECOND + " bytes a second");
        }
        long passed = (now - c.openedAt() + REPORT_SLACK_MILLIS) / 1000;
        if (usage.onlineSeconds() > passed) {
            throw new ImpossibleUsage(
                    ErrorCode.UNPROCESSABLE,
                    ImpossibleUsage.ONLINE_TIME,
                    "usage report of rental " + usage.rental() + " claims " + usage.onlineSeconds()
                            + " s online; the rental opened " + passed + " s ago");
        }
        sql.update(
                "UPDATE channel_usage SET usage_sequence = ?, egress_bytes = ?, usage_online = ?, usage_cpu = ?,"
                        + " usage_memory = GREATEST(usage_memory, ?), usage_in = ?, usage_at = ? WHERE id = ?",
                usage.sequence(),
                usage.bytesOut(),
                usage.onlineSeconds(),
                usage.cpuSeconds(),
                usage.peakMemoryBytes(),
                usage.bytesIn(),
                now,
                c.usageId());
        return enforce(c.withUsage(usage, now));
    }

    /**
     * The most bytes a device's link carries in {@code millis}, or {@link Long#MAX_VALUE} beyond (millennia); in long
     * arithmetic: BigInteger here was a few percent of what a usage report allocated.
     */
    static long mostBytesIn(long millis) {
        long perMilli = MOST_BYTES_PER_SECOND / 1000; // exact: a whole number of bytes a millisecond
        return millis > Long.MAX_VALUE / perMilli ? Long.MAX_VALUE : perMilli * millis;
    }

    /**
     * The payment rules: a rental is served once a voucher is stored, and one with none after the payment grace
     * ends (nothing was served); time is paid ahead, so what is due passing what is promised (beyond a little
     * egress, {@link #EGRESS_GRACE_BYTES}) pauses it and catching up resumes it; paused beyond the limit, its deposit
     * used up, or its egress at the renter's cap, it ends.
     */
    public Decision enforce(String rental) {
        return enforce(channel(rental)).decision();
    }

    private Outcome enforce(Channel c) {
        if (!c.open()) {
            return new Outcome(Decision.NONE, c);
        }
        long now = clock.millis();
        if (!c.vouched()) {
            if (now - c.openedAt() <= config.paymentGrace().toMillis()) {
                return new Outcome(Decision.NONE, c);
            }
            return end(
                    c,
                    Decision.END_UNPAID,
                    "no voucher within " + config.paymentGrace().toSeconds()
                            + " s of renting: the device never served it, nothing was charged");
        }
        if (c.egressCapReached()) {
            return end(
                    c,
                    Decision.END_EXHAUSTED,
                    "egress reached the cap you chose (" + c.egressCap() + " bytes); egress beyond it is not billed");
        }
        long due = c.due();
        if (due >= c.deposit() && c.deposit() > 0) {
            return new Outcome(Decision.END_EXHAUSTED, c);
        }
        if (due - c.paid() > c.prices().forBytes(EGRESS_GRACE_BYTES)) {
            if (c.pausedSince() == null) {
                sql.update("UPDATE channel SET paused_since = ? WHERE rental = ?", now, c.rental());
                return new Outcome(Decision.PAUSE, c.withPausedSince(now));
            }
            return new Outcome(
                    now - c.pausedSince() > config.suspendLimit().toMillis() ? Decision.END_UNPAID : Decision.NONE, c);
        }
        if (c.pausedSince() != null) {
            sql.update("UPDATE channel SET paused_since = NULL WHERE rental = ?", c.rental());
            return new Outcome(Decision.RESUME, c.withPausedSince(null));
        }
        return new Outcome(Decision.NONE, c);
    }

    /** An end the payment rules decided for a reason the renter is told ({@code note}). */
    private Outcome end(Channel c, Decision decision, String note) {
        sql.update("UPDATE channel SET note = ? WHERE rental = ?", note, c.rental());
        return new Outcome(decision, c);
    }

    /**
     * Settles once: metering stops, the last voucher capped at what is due is charged, the owner
     * gets it less the hub's fee, the rest of the escrow returns to the renter. A second call
     * changes nothing.
     */
    public void settle(String rental) {
        Optional<Sql.Row> found = sql.one("SELECT state FROM channel WHERE rental = ?", rental);
        if (found.isEmpty() || !found.get().text(1).equals(OPEN)) {
            return;
        }
        // Billed time ends at the last heartbeat: time since then is not known to have been served.
        Channel c = channel(rental);
        long charge = Math.min(c.paid(), Math.min(c.due(), c.deposit()));
        long fee = BigInteger.valueOf(charge)
                .multiply(BigInteger.valueOf(c.feeBps()))
                .divide(BigInteger.valueOf(10_000))
                .longValueExact();
        long ownerShare = charge - fee;
        long refund = c.deposit() - charge;
        Map<String, Long> entries = new LinkedHashMap<>();
        entries.put(Ledger.escrow(rental), -c.deposit());
        entries.put(Ledger.ownerEarnings(c.owner()), ownerShare);
        entries.put(Ledger.HUB_FEES, fee);
        entries.put(funding(rental), refund);
        ledger.post("settle:" + rental, entries);
        sql.update(
                "UPDATE channel SET state = ?, owner_share = ?, hub_fee = ?, refund = ?, settled_at = ?, paused_since = NULL"
                        + " WHERE rental = ?",
                SETTLED,
                ownerShare,
                fee,
                refund,
                clock.millis(),
                rental);
    }

    public ChannelStatus status(String rental) {
        return channel(rental).status();
    }

    /** The key a channel's vouchers verify with: the renter's, or the one the renter's page made for it. */
    public Optional<byte[]> voucherKey(String rental) {
        return sql.one("SELECT COALESCE(voucher_key, renter_key) FROM channel WHERE rental = ?", rental)
                .map(r -> r.bytes(1));
    }

    /** What the metered time and egress cost, billed by the whole second, rounded down. */
    static long due(long billedMillis, long egressBytes, Prices prices) {
        return Math.addExact(prices.forSeconds(billedMillis / 1000), prices.forBytes(egressBytes));
    }

    public Channel channel(String rental) {
        return Channel.read(sql, rental);
    }

    private static void requireOpen(Channel c) {
        if (!c.open()) {
            throw new RefusedException(ErrorCode.FORBIDDEN, "channel " + c.rental() + " is closed (settled)");
        }
    }
}
