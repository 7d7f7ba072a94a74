package io.edgerent.hub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL restart under a running hub (a real server from Debian's packages, stopped with {@code pg_ctl -m
 * fast}, which drops every connection, as a restart or a failover does): the hub's writer connects again by
 * itself and the next transaction is made, once, without the hub being restarted.
 */
class ReconnectTest {
    private Postgres server;
    private Database database;
    private Sql sql;

    @BeforeEach
    void start() throws Exception {
        server = Postgres.start();
        database = Database.postgres(server.newDatabase());
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
    void aTransactionWhileTheServerIsDownWaitsForItAndIsMadeOnce() throws Exception {
        server.stop();
        long started = System.nanoTime();
        CompletableFuture<Void> back = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(2_000);
                server.serve();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        sql.transaction(() -> sql.update("INSERT INTO probe VALUES (3)"));
        back.get(30, TimeUnit.SECONDS);
        assertTrue(
                System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(1_500),
                "it waited for the server to come back");
        assertEquals("[1, 3]", rows());
    }
}
