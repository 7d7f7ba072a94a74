package io.edgerent.hub.payment;

import static io.edgerent.protocol.RentalView.ENDED;

import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Earnings;
import io.edgerent.protocol.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** What the books say to renters and owners: wallets, earnings per device and per day, rentals being paid. */
public final class Books {
    private static final long DAY_MILLIS = 86_400_000L;

    private final Sql sql;
    private final Ledger ledger;
    private final Channels channels;
    private final Clock clock;

    public Books(Sql sql, Ledger ledger, Channels channels, Clock clock) {
        this.sql = sql;
        this.ledger = ledger;
        this.channels = channels;
        this.clock = clock;
    }

    /**
     * What all settled rental channels on this database moved, in the smallest currency unit: what
     * owners earned, the hub's fees, and what went back to renters.
     */
    public record Settled(long channels, long ownerShare, long hubFee, long refund) {}

    public Settled settled() {
        return sql.transaction(() -> {
            Sql.Row r = sql.one(
                            "SELECT COUNT(*), COALESCE(SUM(owner_share), 0), COALESCE(SUM(hub_fee), 0),"
                                    + " COALESCE(SUM(refund), 0) FROM channel WHERE state = ?",
                            Channels.SETTLED)
                    .orElseThrow();
            return new Settled(r.integer(1), r.integer(2), r.integer(3), r.integer(4));
        });
    }

    public Statement walletOf(byte[] renterKey) {
        return ledger.statement(Ledger.renterWallet(renterKey));
    }

    public Earnings earnings(String owner) {
        return sql.transaction(() -> {
            List<Earnings.PerDevice> devices = sql
                    .all(
                            "SELECT device_id, SUM(owner_share), COUNT(*) FROM channel"
                                    + " WHERE owner = ? AND state = ? GROUP BY device_id ORDER BY device_id",
                            owner,
                            Channels.SETTLED)
                    .stream()
                    .map(r -> new Earnings.PerDevice(r.text(1), r.integer(2), r.integer(3)))
                    .toList();
            return new Earnings(owner, ledger.balance(Ledger.ownerEarnings(owner)), devices);
        });
    }

    /** A rental of one of an owner's devices that has not ended, as the owner's dashboard shows it. */
    public record OwnerRental(
            String name,
            String deviceId,
            String state,
            long createdAt,
            long endsAt,
            long paid,
            long due,
            boolean paused) {}

    public List<OwnerRental> currentRentalsOf(String owner) {
        return sql.transaction(() -> {
            List<OwnerRental> rentals = new ArrayList<>();
            for (Sql.Row r : sql.all(
                    "SELECT r.name, r.device_id, r.state, r.created_at, r.ends_at FROM rental r JOIN channel c"
                            + " ON c.rental = r.name WHERE c.owner = ? AND r.state <> ? ORDER BY r.created_at",
                    owner,
                    ENDED)) {
                ChannelStatus c = channels.status(r.text("name"));
                rentals.add(new OwnerRental(
                        r.text("name"),
                        r.text("device_id"),
                        r.text("state"),
                        r.integer("created_at"),
                        r.integer("ends_at"),
                        c.paid(),
                        c.due(),
                        c.paused()));
            }
            return rentals;
        });
    }

    /** What came into an owner's earnings on one day (days counted from 1970-01-01, UTC). */
    public record DayIncome(long day, long amount) {}

    /** An owner's income per day over the last {@code days} days, today included; days without income left out. */
    public List<DayIncome> incomeByDay(String owner, int days) {
        long since = (Math.floorDiv(clock.millis(), DAY_MILLIS) - days + 1) * DAY_MILLIS;
        // The day's length is written out: PostgreSQL groups by an expression only when it is the same text.
        return sql.transaction(() -> sql
                .all(
                        "SELECT t.at / 86400000, SUM(e.amount) FROM ledger_entry e JOIN ledger_tx t"
                                + " ON t.id = e.tx_id WHERE e.account = ? AND e.amount > 0 AND t.at >= ? GROUP BY t.at / 86400000 ORDER BY 1",
                        Ledger.ownerEarnings(owner),
                        since)
                .stream()
                .map(r -> new DayIncome(r.integer(1), r.integer(2)))
                .toList());
    }
}
