package io.edgerent.hub.payment;

import static org.junit.jupiter.api.Assertions.fail;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.MutableClock;
import io.edgerent.hub.testing.TestDevices;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Random interleavings of heartbeats, time passing (offline gaps included), vouchers good and bad,
 * top-ups, ends, expiries and hub restarts keep the ledger's invariants; and so do a dishonest device (a
 * petabyte of egress, more online time than has passed, usage of a rental it does not serve: always refused,
 * changing nothing) and a dishonest linked hub renting beyond the credit it was given. No settlement charges
 * more than the renter's latest voucher promised, egress is billed only up to the renter's cap, and every
 * clearing account stays within its hub's credit.
 */
class LedgerPropertiesTest {
    static final String SSH_KEY = PaymentsTest.SSH_KEY;
    static final long PER_HOUR = 7200; // two units a second
    static final long PER_GB = 1000;
    static final Prices PRICES = new Prices(PER_HOUR, PER_GB);
    /** The linked hub the property's peer rentals come from, and the credit its operator gave it. */
    static final String PEER = "p";

    static final long CREDIT = 6000;
    static final long GRACE_MS = Duration.ofSeconds(90).toMillis();

    sealed interface Step permits Advance, Beat, Pay, TopUp, End, Expire, Restart, Rent, Usage, Lie, PeerRent {}

    record Advance(int seconds) implements Step {}

    record Beat() implements Step {}

    /** A voucher raising the promise by {@code raise} (may be negative), with a sequence {@code skip} ahead (0: a replay). */
    record Pay(int raise, int skip) implements Step {}

    record TopUp(int amount) implements Step {}

    record End() implements Step {}

    record Expire() implements Step {}

    record Restart() implements Step {}

    /** A rental with a deposit and the egress cap the renter chose, in MB. */
    record Rent(int deposit, int capMb) implements Step {}

    /** The device's honest usage report: {@code mb} more egress. */
    record Usage(int mb) implements Step {}

    /** The device lies: 0, a petabyte of egress; 1, a billion seconds online; 2, usage of a rental it does not serve. */
    record Lie(int kind) implements Step {}

    /** The linked hub rents the device for a renter of its own, its deposit on credit here. */
    record PeerRent(int deposit) implements Step {}

    @Provide
    Arbitrary<Step> steps() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, 200).map(Advance::new),
                Arbitraries.just(new Beat()),
                Arbitraries.just(new Beat()),
                Arbitraries.integers()
                        .between(-50, 400)
                        .flatMap(r -> Arbitraries.integers().between(0, 2).map(k -> new Pay(r, k))),
                Arbitraries.integers().between(1, 3000).map(TopUp::new),
                Arbitraries.just(new End()),
                Arbitraries.just(new Expire()),
                Arbitraries.just(new Restart()),
                Arbitraries.integers()
                        .between(0, 5000)
                        .flatMap(d -> Arbitraries.integers().between(0, 3000).map(c -> new Rent(d, c))),
                Arbitraries.integers().between(0, 3000).map(Usage::new),
                Arbitraries.integers().between(0, 2).map(Lie::new),
                Arbitraries.integers().between(0, 9000).map(PeerRent::new));
    }

    @Property(tries = 150)
    void every_interleaving_keeps_the_ledger_balanced_and_fair(
            @ForAll @Size(max = 60) List<@net.jqwik.api.From("steps") Step> steps) throws IOException {
        Path dir = Files.createTempDirectory("ledger-property");
        MutableClock clock = new MutableClock();
        HubConfig config = HubConfig.builder()
                .dataDir(dir)
                .feeBasisPoints(250)
                .paymentGrace(Duration.ofSeconds(30))
                .suspendLimit(Duration.ofSeconds(120))
                .build();
        Database database = Database.embedded(dir);
        Services services = Services.on(new Sql(database), config, clock);
        KeyPair renter = Ed25519.generate();
        byte[] renterKey = Ed25519.raw(renter.getPublic());
        String device = TestDevices.register(services.devices(), "olga");
        SettlementRail.internal(services.ledger()).deposit(Ledger.renterWallet(renterKey), 1_000_000, "bank-1");
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
        Sql setup = new Sql(database);
        setup.transaction(() -> setup.update(
                "INSERT INTO linked_hub(name, address, hub_key, added_at, credit) VALUES (?, ?, ?, ?, ?)",
                PEER,
                "coaps://127.0.0.9:5684",
                "ecdsa-sha2-nistp256 AAAA",
                0,
                CREDIT));
        long usageSequence = 0;
        long reportedOut = 0;

        String rental = null;
        long promised = 0;
        long sequence = -1;
        long lastBeat = clock.millis();
        Map<String, Long> onlineMillis = new HashMap<>();
        List<long[]> acknowledged = new ArrayList<>();
        try {
            for (Step step : steps) {
                if (step instanceof Advance a) {
                    clock.advance(Duration.ofSeconds(a.seconds()));
                } else if (step instanceof Beat) {
                    boolean serving = rental != null
                            && services.rentals().assignment(device).rental() != null;
                    long gap = clock.millis() - lastBeat;
                    if (serving && gap <= GRACE_MS) {
                        onlineMillis.merge(rental, gap, Long::sum);
                    }
                    services.rentals()
                            .heartbeat(
                                    device,
                                    serving
                                            ? new Heartbeat(DeviceState.RENTED, rental, PRICES)
                                            : new Heartbeat(DeviceState.LISTED, null, PRICES));
                    lastBeat = clock.millis();
                } else if (step instanceof Pay p && rental != null) {
                    long amount = Math.max(0, promised + p.raise());
                    long seq = sequence + p.skip();
                    try {
                        services.payments().acceptVoucher(Voucher.sign(renter, rental, amount, seq, clock.millis()));
                        promised = amount;
                        sequence = seq;
                        acknowledged.add(new long[] {seq, amount});
                    } catch (RefusedException refused) {
                        // Refusals are part of the interleaving; the invariants below say they changed nothing.
                    }
                } else if (step instanceof TopUp t && rental != null) {
                    try {
                        services.rentals()
                                .extend(
                                        renterKey,
                                        rental,
                                        1,
                                        t.amount(),
                                        "topup:" + rental + ":" + clock.millis() + ":" + t.amount());
                    } catch (RefusedException refused) {
                        // ended, or a reference reused within the same millisecond
                    }
                } else if (step instanceof End && rental != null) {
                    services.rentals().end(renterKey, rental);
                } else if (step instanceof Expire) {
                    services.rentals().expire();
                } else if (step instanceof Restart) {
                    database.close();
                    database = Database.embedded(dir);
                    services = Services.on(new Sql(database), config, clock);
                } else if (step instanceof Rent r) {
                    try {
                        rental = services.rentals()
                                .rent(
                                        renterKey,
                                        new RentRequest(
                                                device,
                                                1,
                                                SSH_KEY,
                                                PER_HOUR,
                                                r.deposit(),
                                                Template.BASE,
                                                null,
                                                r.capMb() * 1_000_000L),
                                        SSH_KEY)
                                .name();
                        promised = 0;
                        sequence = -1;
                        reportedOut = 0;
                        acknowledged.clear();
                        services.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental, PRICES));
                        lastBeat = clock.millis();
                    } catch (RefusedException refused) {
                        // rented already, deposit too small, or the device is offline
                    }
                } else if (step instanceof Usage u && rental != null) {
                    try {
                        services.payments()
                                .recordUsage(
                                        device,
                                        new UsageReport(
                                                rental, ++usageSequence, 0, 0, 0, 0, reportedOut + u.mb() * 1_000_000L))
                                .orThrow();
                        reportedOut += u.mb() * 1_000_000L;
                    } catch (RefusedException refused) {
                        // faster than a link carries in the time since the last report, or the rental ended
                    }
                } else if (step instanceof Lie l) {
                    String about = l.kind() == 2 || rental == null ? "r-00000000dead" : rental;
                    UsageReport lie = switch (l.kind()) {
                        case 0 -> new UsageReport(about, ++usageSequence, 0, 0, 0, 0, 1_000_000_000_000_000L);
                        case 1 -> new UsageReport(about, ++usageSequence, 1_000_000_000L, 0, 0, 0, reportedOut);
                        default -> new UsageReport(about, ++usageSequence, 0, 0, 0, 0, 1);
                    };
                    try {
                        if (services.payments().recordUsage(device, lie).impossible() == null) {
                            fail("the lie " + lie + " was accepted");
                        }
                    } catch (RefusedException closed) {
                        // about a rental that ended: refused as any late report is
                    }
                } else if (step instanceof PeerRent r) {
                    try {
                        services.rentals()
                                .rent(
                                        Ed25519.raw(Ed25519.generate().getPublic()),
                                        new RentRequest(device, 1, SSH_KEY, PER_HOUR, r.deposit()),
                                        SSH_KEY,
                                        Names.newRentalName(),
                                        PEER);
                    } catch (RefusedException refused) {
                        // beyond its credit, the device rented, or the deposit too small
                    }
                }
                checkInvariants(services, database, rental, acknowledged, onlineMillis);
            }
        } finally {
            database.close();
            deleteTree(dir); // 150 tries a run: each left its database in the temporary directory
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void checkInvariants(
            Services services,
            Database database,
            String rental,
            List<long[]> acknowledged,
            Map<String, Long> onlineMillis) {
        Sql sql = new Sql(database);
        if (services.ledger().total() != 0) {
            fail("the ledger does not balance: entries sum to "
                    + services.ledger().total());
        }
        sql.transaction(() -> {
            for (Sql.Row tx : sql.all("SELECT tx_id, SUM(amount) FROM ledger_entry GROUP BY tx_id")) {
                if (tx.integer(2) != 0) {
                    fail("transaction " + tx.integer(1) + " does not balance: " + tx.integer(2));
                }
            }
            for (Sql.Row account : sql.all("SELECT account, SUM(amount) FROM ledger_entry GROUP BY account")) {
                if (services.ledger().balance(account.text(1)) != account.integer(2)) {
                    fail(account.text(1) + " shows a balance of "
                            + services.ledger().balance(account.text(1)) + " but its entries sum to "
                            + account.integer(2));
                }
                if (account.text(1).equals(Ledger.clearing(PEER))) {
                    if (Math.abs(account.integer(2)) > CREDIT) {
                        fail("the linked hub owes " + account.integer(2) + ", beyond its credit of " + CREDIT);
                    }
                } else if (account.integer(2) < 0 && !account.text(1).equals(Ledger.RAIL)) {
                    fail(account.text(1) + " went below zero: " + account.integer(2));
                }
            }
            for (Sql.Row c : sql.all(
                    // Billed time as the hub reads it: the channel's own and its device's meter while that is its.
                    "SELECT c.rental, deposit, owner_share, hub_fee, refund, c.state, billed_ms + COALESCE(h.metered_ms, 0),"
                            + " paid, u.egress_bytes, egress_cap FROM channel c JOIN channel_usage u ON u.id = c.usage_id"
                            + " LEFT JOIN device d"
                            + " ON d.id = c.device_id AND d.metered_rental = c.rental"
                            + " LEFT JOIN device_heard h ON h.id = d.heard")) {
                if (c.text(6).equals(Channels.SETTLED) && c.integer(3) + c.integer(4) + c.integer(5) != c.integer(2)) {
                    fail("channel " + c.text(1) + ": owner + fee + refund != deposit");
                }
                if (c.text(6).equals(Channels.SETTLED) && c.integer(3) + c.integer(4) > c.integer(8)) {
                    fail("channel " + c.text(1) + " charged " + (c.integer(3) + c.integer(4))
                            + ", more than the renter's voucher promised (" + c.integer(8) + ")");
                }
                long mostDue =
                        PRICES.forSeconds(c.integer(7) / 1000) + PRICES.forBytes(Math.min(c.integer(9), c.integer(10)));
                if (c.text(6).equals(Channels.SETTLED) && c.integer(3) + c.integer(4) > mostDue) {
                    fail("channel " + c.text(1) + " charged more than its time and capped egress cost: " + mostDue);
                }
                if (c.text(6).equals(Channels.OPEN)
                        && services.ledger().balance(Ledger.escrow(c.text(1))) != c.integer(2)) {
                    fail("channel " + c.text(1) + ": escrow differs from the deposit");
                }
                if (c.integer(7) > onlineMillis.getOrDefault(c.text(1), 0L)) {
                    fail("channel " + c.text(1) + " billed " + c.integer(7) + " ms but was online only "
                            + onlineMillis.getOrDefault(c.text(1), 0L) + " ms");
                }
            }
            if (rental != null && !acknowledged.isEmpty()) {
                // The channel holds the renter's latest voucher, signed: proof of everything acknowledged.
                long[] last = acknowledged.get(acknowledged.size() - 1);
                Sql.Row c = sql.one(
                                "SELECT paid, last_sequence, voucher_issued_at, voucher_signature, renter_key FROM channel"
                                        + " WHERE rental = ?",
                                rental)
                        .orElseThrow();
                if (c.integer(2) < last[0] || c.integer(1) < last[1]) {
                    fail("acknowledged voucher " + last[0] + " of " + rental + " is lost: the channel holds "
                            + c.integer(2));
                }
                if (!new Voucher(rental, c.integer(1), c.integer(2), c.integer(3), c.bytes(4)).verifies(c.bytes(5))) {
                    fail("the voucher stored for " + rental + " does not verify with the renter's key");
                }
            }
        });
    }
}
