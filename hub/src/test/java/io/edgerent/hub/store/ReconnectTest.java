package io.edgerent.hub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL restart under a running hub (a real server from Debian's packages, stopped with {@code pg_ctl -m
 * fast}, which drops every connection, as a restart or a failover does): the hub's writer connects again by
 * itself and the next transaction is made, once, without the hub being restarted; while the server is down,
 * transactions fail as {@link DatabaseUnavailable} without waiting; the listener for the other hubs listens again.
 */
class ReconnectTest {
    private Postgres server;
    private String url;
    private Database database;
    private Sql sql;

    @BeforeEach
    void start() throws Exception {
        server = Postgres.start();
        url = server.newDatabase();
        database = Database.postgres(url);
        sql = new Sql(database);
        sql.transaction(() -> sql.update("CREATE TABLE probe (n INT)"));
        sql.transaction(() -> sql.update("INSERT INTO probe VALUES (1)"));
    }

    @AfterEach
    void stop() throws Exception {
        if (database != null) {
            database.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private String rows() {
        return sql.transaction(() -> sql.all("SELECT n FROM probe ORDER BY n").stream()
                .map(r -> r.values()[0].toString())
                .toList()
                .toString());
    }

    @Test
    void theFirstTransactionAfterARestartRunsOnANewConnection() throws Exception {
        server.stop();
        server.serve();
        sql.transaction(() -> sql.update("INSERT INTO probe VALUES (2)"));
        assertEquals("[1, 2]", rows(), "each row once");
    }

    @Test
    void whileTheServerIsDownTransactionsFailAsUnavailableAtOnceAndServeAgainWhenItIsBack() throws Exception {
        server.stop();
        long started = System.nanoTime();
        assertThrows(
                DatabaseUnavailable.class, () -> sql.transaction(() -> sql.update("INSERT INTO probe VALUES (3)")));
        assertTrue(
                System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(Sql.RECONNECT_WAIT_MILLIS + 1_000),
                "the transaction that found the database gone waited a moment, not the client's patience");
        long next = System.nanoTime();
        assertThrows(
                DatabaseUnavailable.class, () -> sql.transaction(() -> sql.update("INSERT INTO probe VALUES (4)")));
        assertTrue(
                System.nanoTime() - next < TimeUnit.MILLISECONDS.toNanos(500),
                "once the database is known to be away, the next fails at once");

        server.serve();
        long back = System.nanoTime();
        long deadline = back + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                sql.transaction(() -> sql.update("INSERT INTO probe VALUES (5)"));
                break;
            } catch (DatabaseUnavailable stillAway) {
                assertTrue(System.nanoTime() < deadline, "serving again within 10 s of the database's return");
                Thread.sleep(50);
            }
        }
        assertTrue(
                System.nanoTime() - back
                        < TimeUnit.MILLISECONDS.toNanos(DatabaseUnavailable.RETRY_AFTER_SECONDS * 1000L + 500),
                "the next attempt to connect came within the longest backoff");
        assertEquals("[1, 5]", rows(), "nothing of the failed transactions was made; the later one once");
    }

    @Test
    void theOtherHubsListenerListensAgainAndIsToldWhatItMayHaveMissed() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        List<Long> missedSince = new CopyOnWriteArrayList<>();
        long beforeTheRestart = System.currentTimeMillis();
        try (OtherHubs listener = new OtherHubs(database, "probe_events", heard::add, missedSince::add);
                Database otherHub = Database.postgres(url)) {
            listener.start();
            Sql other = new Sql(otherHub);
            poll(() -> {
                other.transaction(() -> other.tellOtherHubs("probe_events", "before"));
                return heard.contains("before");
            });
            server.stop();
            server.serve();
            poll(() -> {
                other.transaction(() -> other.tellOtherHubs("probe_events", "after"));
                return heard.contains("after");
            });
            assertEquals(1, missedSince.size(), "told once that it may have missed changes");
            assertTrue(missedSince.get(0) >= beforeTheRestart, "since the connection was lost");
        }
    }

    /** Tries {@code done} (a database that is away counts as "not yet") until it holds, for 10 s at most. */
    private static void poll(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                if (done.getAsBoolean()) {
                    return;
                }
            } catch (DatabaseUnavailable away) {
                // PostgreSQL is still starting, or the connection not yet made again
            }
            assertTrue(System.nanoTime() < deadline, "not within 10 s");
            Thread.sleep(100);
        }
    }
}
