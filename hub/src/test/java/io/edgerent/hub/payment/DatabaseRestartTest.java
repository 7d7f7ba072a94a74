package io.edgerent.hub.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.hub.store.Postgres;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.TestDevices;
import io.edgerent.hub.testing.TwoHubs;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.Voucher;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL restarts under a voucher load through two hubs (each its own connection, services, group commit and
 * voucher desk, as two hub processes have), one renter's client per hub sending vouchers as fast as they are
 * answered. While it is down the hubs answer "unavailable" (5.03), soon and never anything else; they serve again
 * within seconds of its return; every acknowledged voucher is in the database; the ledger balances once the
 * rentals settle; each hub said once that the database went and once that it came back.
 */
class DatabaseRestartTest {
    static final long PER_HOUR = 3600;
    static final long DEPOSIT = 1_000_000;
    static final long OUTAGE_MILLIS = 3_000;
    static final long SERVING_AGAIN_WITHIN_MILLIS = 10_000;

    @TempDir
    Path dir;

    /** One renter's client on one hub: what it was told, as it was told it. */
    static final class Client {
        final String rental;
        final KeyPair renter;
        final byte[] renterKey;
        final VoucherDesk desk;
        long sequence;
        long highestAcknowledgedAmount;
        long highestAcknowledgedSequence = -1;
        long acknowledged;
        long unavailable;
        long slowestUnavailableMillis;
        final List<String> wrongAnswers = new ArrayList<>();
        volatile long lastAcknowledgedAt;

        Client(String rental, KeyPair renter, VoucherDesk desk) {
            this.rental = rental;
            this.renter = renter;
            this.renterKey = Ed25519.raw(renter.getPublic());
            this.desk = desk;
        }

        /** Sends vouchers until told to stop; one refused as unavailable is not sent again, the next pays as much. */
        void pay(AtomicBoolean stop) {
            while (!stop.get()) {
                long seq = sequence++;
                Voucher v = Voucher.sign(renter, rental, seq + 1, seq, System.currentTimeMillis());
                long sent = System.nanoTime();
                try {
                    desk.submit(v).join();
                    acknowledged++;
                    highestAcknowledgedAmount = v.amount();
                    highestAcknowledgedSequence = seq;
                    lastAcknowledgedAt = System.nanoTime();
                } catch (CompletionException e) {
                    if (e.getCause() instanceof DatabaseUnavailable) {
                        unavailable++;
                        slowestUnavailableMillis = Math.max(
                                slowestUnavailableMillis, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
                        pause(20); // as a client told 5.03 waits before trying again, only shorter
                    } else {
                        wrongAnswers.add(seq + ": " + e.getCause());
                    }
                }
            }
        }
    }

    @Test
    void a_postgresql_restart_under_vouchers_through_two_hubs_loses_nothing_acknowledged_and_they_serve_again()
            throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger sqlLog = (Logger) LoggerFactory.getLogger(Sql.class);
        sqlLog.addAppender(log);
        try (Postgres postgres = Postgres.start()) {
            String url = postgres.newDatabase();
            TwoHubs two = TwoHubs.on(url, dir);
            Database[] databases = two.databases();
            Sql[] sqls = two.sqls();
            Services[] hubs = two.services();
            GroupCommit[] commits = two.commits();
            Client[] clients = new Client[2];
            for (int h = 0; h < 2; h++) {
                clients[h] = rentThrough(hubs[h], new VoucherDesk(hubs[h], commits[h]), h);
            }

            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<?>> paying = new ArrayList<>();
            for (Client c : clients) {
                paying.add(pool.submit(() -> c.pay(stop)));
            }
            for (Client c : clients) {
                waitFor(() -> c.acknowledged >= 20, "vouchers acknowledged before the restart");
            }
            postgres.stop();
            long down = System.nanoTime();
            for (Client c : clients) {
                waitFor(() -> c.unavailable > 0, "a voucher answered unavailable while PostgreSQL is down");
            }
            pause(OUTAGE_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down));
            postgres.serve();
            long back = System.nanoTime();
            for (Client c : clients) {
                waitFor(() -> c.lastAcknowledgedAt > back, "a voucher acknowledged after PostgreSQL came back");
            }
            long servingAgainMillis = TimeUnit.NANOSECONDS.toMillis(
                    Math.max(clients[0].lastAcknowledgedAt, clients[1].lastAcknowledgedAt) - back);
            long sinceBack = clients[0].acknowledged + clients[1].acknowledged;
            waitFor(() -> clients[0].acknowledged + clients[1].acknowledged >= sinceBack + 40, "more vouchers");
            stop.set(true);
            for (Future<?> f : paying) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            for (GroupCommit c : commits) {
                c.close();
            }
            System.out.printf(
                    "PostgreSQL restarted under vouchers: both hubs served again %d ms after it was back;"
                            + " acknowledged %d and %d, unavailable %d and %d (slowest unavailable answer %d ms)%n",
                    servingAgainMillis,
                    clients[0].acknowledged,
                    clients[1].acknowledged,
                    clients[0].unavailable,
                    clients[1].unavailable,
                    Math.max(clients[0].slowestUnavailableMillis, clients[1].slowestUnavailableMillis));

            assertTrue(
                    servingAgainMillis < SERVING_AGAIN_WITHIN_MILLIS,
                    "both hubs served again within 10 s of PostgreSQL's return: " + servingAgainMillis + " ms");
            for (Client c : clients) {
                assertEquals(List.of(), c.wrongAnswers, "while PostgreSQL was down, only 'unavailable' was answered");
                assertTrue(
                        c.slowestUnavailableMillis < 3_000,
                        "'unavailable' came soon, not after a client's patience: " + c.slowestUnavailableMillis
                                + " ms");
            }

            Sql check = sqls[0];
            for (Client c : clients) {
                Sql.Row channel = check.transaction(
                        () -> check.one("SELECT paid, last_sequence FROM channel WHERE rental = ?", c.rental)
                                .orElseThrow());
                assertEquals(c.highestAcknowledgedAmount, channel.integer(1), "the last acknowledged voucher's amount");
                assertEquals(
                        c.highestAcknowledgedSequence, channel.integer(2), "the last acknowledged voucher's number");
                hubs[0].rentals().end(c.renterKey, c.rental);
            }
            // A hub whose listener was away re-reads what the other hub's notifications would have said.
            List<String> closed = new CopyOnWriteArrayList<>();
            hubs[1].events().onRentalClosed(closed::add);
            hubs[1].events().mayHaveMissed(System.currentTimeMillis());
            assertEquals(
                    Set.of(clients[0].rental, clients[1].rental),
                    Set.copyOf(closed),
                    "the rentals ended meanwhile are closed to their renters");
            Ledger ledger = hubs[1].ledger();
            assertEquals(0, ledger.total(), "the ledger balances");
            check.transaction(() -> {
                for (Sql.Row tx : check.all("SELECT tx_id, SUM(amount) FROM ledger_entry GROUP BY tx_id")) {
                    assertEquals(0, tx.integer(2), "transaction " + tx.integer(1) + " balances");
                }
                for (Client c : clients) {
                    Sql.Row row = check.one(
                                    "SELECT state, paid, owner_share, hub_fee, refund FROM channel WHERE rental = ?",
                                    c.rental)
                            .orElseThrow();
                    assertEquals(Channels.SETTLED, row.text(1), c.rental + " settled");
                    assertEquals(
                            DEPOSIT,
                            row.integer(3) + row.integer(4) + row.integer(5),
                            "owner + fee + refund = deposit");
                }
            });
            for (Database d : databases) {
                d.close();
            }
        } finally {
            sqlLog.detachAppender(log);
        }
        assertEquals(2, count(log, "database unreachable"), "each hub said once that the database went away");
        assertEquals(2, count(log, "database is back"), "and once that it came back");
    }

    /** A device registered, listed and rented through {@code hub}, with a renter whose client pays through it. */
    private static Client rentThrough(Services hub, VoucherDesk desk, int n) {
        String device = TestDevices.register(hub.devices(), "olga");
        hub.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, new Prices(PER_HOUR, 0)));
        KeyPair renter = Ed25519.generate();
        byte[] renterKey = Ed25519.raw(renter.getPublic());
        SettlementRail.internal(hub.ledger()).deposit(Ledger.renterWallet(renterKey), 2 * DEPOSIT, "bank-" + n);
        String rental = hub.rentals()
                .rent(
                        renterKey,
                        new RentRequest(device, 1, PaymentsTest.SSH_KEY, PER_HOUR, DEPOSIT),
                        PaymentsTest.SSH_KEY)
                .name();
        hub.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental, new Prices(PER_HOUR, 0)));
        return new Client(rental, renter, desk);
    }

    private static long count(ListAppender<ILoggingEvent> log, String start) {
        return log.list.stream()
                .filter(e -> e.getFormattedMessage().startsWith(start))
                .count();
    }

    private static void waitFor(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 30 s: " + what);
            pause(10);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
