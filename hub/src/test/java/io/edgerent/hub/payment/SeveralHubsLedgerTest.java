package io.edgerent.hub.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.hub.store.Postgres;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.TestDevices;
import io.edgerent.hub.testing.TwoHubs;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.Voucher;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hubs on one PostgreSQL (each its own connection, services and voucher desk, as two hub
 * processes have) take the same channels' vouchers, top-ups, ends and expiries at once. The payments
 * issue's invariants must hold: the ledger balances, every voucher sequence is acknowledged once, no
 * acknowledged top-up or voucher is lost, every channel settles exactly once and its deposit is split
 * exactly.
 */
class SeveralHubsLedgerTest {
    static final long PER_HOUR = 3600;
    static final long DEPOSIT = 10_000;
    static final long TOP_UP = 100;
    static final int CHANNELS = 6;
    static final int VOUCHERS = 60;
    static final int TOP_UPS_PER_HUB = 8;

    static Postgres postgres;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = Postgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** {@code halfPaid} opens once half the vouchers were sent: the ends race the second half. */
    record Channel(String rental, KeyPair renter, byte[] renterKey, CountDownLatch halfPaid) {}

    @Test
    void concurrent_vouchers_top_ups_ends_and_expiries_through_two_hubs_keep_the_ledger_whole() throws Exception {
        String url = postgres.newDatabase();
        TwoHubs two = TwoHubs.on(url, dir);
        Database[] databases = two.databases();
        Sql[] sqls = two.sqls();
        Services[] hubs = two.services();
        GroupCommit[] commits = two.commits();
        VoucherDesk[] desks = two.desks();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < CHANNELS; i++) {
            Services here = hubs[i % 2];
            Services there = hubs[(i + 1) % 2];
            String device = TestDevices.register(here.devices(), there.devices(), "olga");
            here.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, new Prices(PER_HOUR, 0)));
            KeyPair renter = Ed25519.generate();
            byte[] renterKey = Ed25519.raw(renter.getPublic());
            SettlementRail.internal(there.ledger()).deposit(Ledger.renterWallet(renterKey), 1_000_000, "bank-" + i);
            String rental = there.rentals()
                    .rent(
                            renterKey,
                            new RentRequest(device, 1, PaymentsTest.SSH_KEY, PER_HOUR, DEPOSIT),
                            PaymentsTest.SSH_KEY)
                    .name();
            here.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental, new Prices(PER_HOUR, 0)));
            channels.add(new Channel(rental, renter, renterKey, new CountDownLatch(1)));
        }

        Map<String, Map<Long, AtomicInteger>> acknowledgements = new ConcurrentHashMap<>();
        Map<String, Long> highestAcknowledged = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> topUps = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> work = new ArrayList<>();
        for (Channel c : channels) {
            // The renter sends each voucher to both hubs at once: one may acknowledge it, the other sees a replay.
            work.add(pool.submit(() -> {
                go.await();
                for (long seq = 0; seq < VOUCHERS; seq++) {
                    if (seq == VOUCHERS / 2) {
                        c.halfPaid().countDown();
                    }
                    Voucher v = Voucher.sign(c.renter(), c.rental(), (seq + 1) * 10, seq, System.currentTimeMillis());
                    for (CompletableFuture<ChannelStatus> answer : List.of(desks[0].submit(v), desks[1].submit(v))) {
                        try {
                            answer.join();
                            acknowledgements
                                    .computeIfAbsent(c.rental(), k -> new ConcurrentHashMap<>())
                                    .computeIfAbsent(seq, k -> new AtomicInteger())
                                    .incrementAndGet();
                            highestAcknowledged.merge(c.rental(), v.amount(), Math::max);
                        } catch (java.util.concurrent.CompletionException refused) {
                            assertTrue(
                                    refused.getCause() instanceof RefusedException,
                                    "a voucher failed: " + refused.getCause());
                        }
                    }
                }
                return null;
            }));
            for (int h = 0; h < 2; h++) {
                Services hub = hubs[h];
                int which = h;
                work.add(pool.submit(() -> {
                    go.await();
                    for (int k = 0; k < TOP_UPS_PER_HUB; k++) {
                        try {
                            hub.rentals()
                                    .extend(
                                            c.renterKey(),
                                            c.rental(),
                                            1,
                                            TOP_UP,
                                            "topup:" + c.rental() + ":" + which + ":" + k);
                            topUps.computeIfAbsent(c.rental(), r -> new AtomicInteger())
                                    .incrementAndGet();
                        } catch (RefusedException ended) {
                            // the other hub ended the rental first
                        }
                    }
                    c.halfPaid().await();
                    try {
                        hub.rentals().end(c.renterKey(), c.rental());
                    } catch (RefusedException endedAlready) {
                        // both hubs end every rental; one of them may find it ended
                    }
                    return null;
                }));
            }
        }
        for (Services hub : hubs) {
            work.add(pool.submit(() -> {
                go.await();
                for (int k = 0; k < 20; k++) {
                    hub.rentals().expire();
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();
        for (GroupCommit c : commits) {
            c.close();
        }

        Ledger ledger = hubs[0].ledger();
        assertEquals(0, ledger.total(), "the ledger balances");
        Sql check = sqls[0];
        check.transaction(() -> {
            for (Sql.Row tx : check.all("SELECT tx_id, SUM(amount) FROM ledger_entry GROUP BY tx_id")) {
                assertEquals(0, tx.integer(2), "transaction " + tx.integer(1) + " balances");
            }
            for (Channel c : channels) {
                Sql.Row row = check.one(
                                "SELECT state, deposit, owner_share, hub_fee, refund, paid FROM channel WHERE rental = ?",
                                c.rental())
                        .orElseThrow();
                assertEquals(Channels.SETTLED, row.text(1), c.rental() + " settled");
                assertEquals(
                        1,
                        check.one("SELECT COUNT(*) FROM ledger_tx WHERE ref = ?", "settle:" + c.rental())
                                .orElseThrow()
                                .integer(1),
                        c.rental() + " settled once");
                long acknowledgedTopUps =
                        topUps.getOrDefault(c.rental(), new AtomicInteger()).get();
                assertEquals(
                        DEPOSIT + TOP_UP * acknowledgedTopUps,
                        row.integer(2),
                        "no acknowledged top-up of " + c.rental() + " lost");
                assertEquals(
                        row.integer(2),
                        row.integer(3) + row.integer(4) + row.integer(5),
                        "owner + fee + refund = deposit");
                assertEquals(0, ledger.balance(Ledger.escrow(c.rental())), "the escrow of " + c.rental() + " is empty");
                assertEquals(
                        1_000_000 - row.integer(2) + row.integer(5),
                        ledger.balance(Ledger.renterWallet(c.renterKey())),
                        "the renter's wallet got the refund");
                assertTrue(
                        row.integer(6) >= highestAcknowledged.getOrDefault(c.rental(), 0L),
                        "no acknowledged voucher lost");
                acknowledgements
                        .getOrDefault(c.rental(), Map.of())
                        .forEach((seq, times) -> assertEquals(
                                1, times.get(), "voucher " + seq + " of " + c.rental() + " acknowledged once"));
            }
        });
        long retried = sqls[0].retries() + sqls[1].retries();
        System.out.printf(
                "two hubs: %d transactions lost a race and were run again; %d vouchers acknowledged%n",
                retried, acknowledgements.values().stream().mapToInt(Map::size).sum());
        assertTrue(retried > 0, "the hubs really raced each other (else this test proves nothing)");
        for (Database d : databases) {
            d.close();
        }
    }

    /**
     * Devices registering at the same moment through two hubs each get a liveness row of their own, and rentals made
     * at once a usage row: the hub numbers them (MAX + 1, in a serializable transaction), and the hub that loses a
     * number runs its transaction again.
     */
    @Test
    void devices_registered_and_rented_at_once_through_two_hubs_each_get_rows_of_their_own() throws Exception {
        TwoHubs two = TwoHubs.on(postgres.newDatabase(), dir);
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> registering = new ArrayList<>();
        for (Services hub : two.services()) {
            registering.add(pool.submit(() -> {
                go.await();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                    ids.add(TestDevices.register(hub.devices(), "olga"));
                }
                return ids;
            }));
        }
        go.countDown();
        List<String> devices = new ArrayList<>();
        for (Future<List<String>> ids : registering) {
            devices.addAll(ids.get());
        }
        pool.shutdown();
        for (int i = 0; i < devices.size(); i++) {
            two.services()[i % 2]
                    .rentals()
                    .heartbeat(devices.get(i), new Heartbeat(DeviceState.LISTED, null, new Prices(i, 0)));
        }
        // Then each device rented through one hub or the other at once: a channel's usage row is numbered the same way.
        KeyPair renter = Ed25519.generate();
        byte[] renterKey = Ed25519.raw(renter.getPublic());
        SettlementRail.internal(two.services()[0].ledger()).deposit(Ledger.renterWallet(renterKey), 1_000_000, "bank");
        ExecutorService renting = Executors.newFixedThreadPool(2);
        CountDownLatch rent = new CountDownLatch(1);
        List<Future<?>> rents = new ArrayList<>();
        for (int h = 0; h < 2; h++) {
            Services hub = two.services()[h];
            int which = h;
            rents.add(renting.submit(() -> {
                rent.await();
                for (int i = which; i < devices.size(); i += 2) {
                    hub.rentals()
                            .rent(
                                    renterKey,
                                    new RentRequest(devices.get(i), 1, PaymentsTest.SSH_KEY, PER_HOUR, 1000),
                                    PaymentsTest.SSH_KEY);
                }
                return null;
            }));
        }
        rent.countDown();
        for (Future<?> f : rents) {
            f.get();
        }
        renting.shutdown();
        Sql check = two.sqls()[0];
        check.transaction(() -> {
            assertARowOfNumbersEach(check, "channel", "usage_id", "channel_usage", 2 * each);
            assertARowOfNumbersEach(check, "device", "heard", "device_heard", 2 * each);
            for (int i = 0; i < devices.size(); i++) {
                assertEquals(
                        i,
                        check.one("SELECT price_per_hour FROM device WHERE id = ?", devices.get(i))
                                .orElseThrow()
                                .integer(1),
                        "each device's heartbeat landed on its own row");
            }
        });
        System.out.printf(
                "two hubs registering and renting at once: %d transactions lost a race and were run again%n",
                two.sqls()[0].retries() + two.sqls()[1].retries());
        for (GroupCommit c : two.commits()) {
            c.close();
        }
        for (Database d : two.databases()) {
            d.close();
        }
    }

    /** {@code expected} rows in {@code table}, each naming a row of {@code numbers} by {@code key}, its own. */
    private static void assertARowOfNumbersEach(Sql check, String table, String key, String numbers, long expected) {
        Sql.Row rows = check.one("SELECT COUNT(*), COUNT(DISTINCT " + key + ") FROM " + table)
                .orElseThrow();
        assertEquals(expected, rows.integer(1), "every " + table + " row made");
        assertEquals(expected, rows.integer(2), "a " + numbers + " row each");
        assertEquals(
                expected,
                check.one("SELECT COUNT(*) FROM " + numbers).orElseThrow().integer(1),
                "no " + numbers + " row without its " + table);
    }
}
