package io.edgerent.hub.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.rental.Rentals;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    @TempDir
    Path dir;

    @Test
    void theSearchForRentalsWhoseTimeIsUpReadsAnIndexNotEveryRental() throws Exception {
        try (Database db = Database.embedded(dir);
                PreparedStatement explain = db.connection().prepareStatement("EXPLAIN " + Rentals.DUE_RENTALS)) {
            explain.setString(1, "preparing");
            explain.setString(2, "active");
            explain.setLong(3, 0);
            try (ResultSet plan = explain.executeQuery()) {
                plan.next();
                String text = plan.getString(1);
                assertTrue(text.contains("RENTAL_DUE"), text);
            }
        }
    }

    /**
     * H2 takes its page size at every open, from the URL alone: a hub opened without it would split its B-tree pages
     * at 4 KB again and its writer spend a third more a request under a fleet (docs/benchmarks.md, seventh session),
     * which no functional test would notice. The soak and fleet benchmarks measure the effect; this keeps the setting.
     */
    @Test
    void theEmbeddedDatabaseSplitsItsPagesAtOneKilobyte() throws Exception {
        try (Database db = Database.embedded(dir)) {
            SessionLocal session =
                    (SessionLocal) db.connection().unwrap(JdbcConnection.class).getSession();
            assertEquals(1024, session.getDatabase().getPageSize());
        }
    }

    /**
     * Rows written once and left alone each keep a chunk of H2's alive, and H2 keeps every chunk's record in
     * memory; the hub rewrites sparse chunks into dense ones, which H2's own housekeeping does not do with
     * WRITE_DELAY=0.
     */
    @Test
    void sparseChunksAreRewrittenIntoDenseOnes() throws Exception {
        try (Database db = Database.embedded(dir);
                Statement s = db.connection().createStatement()) {
            // Chunks are rewritable at once here; the hub keeps H2's 45 s, in case a disk has not written them yet.
            s.execute("SET RETENTION_TIME 0");
            s.execute("CREATE TABLE cold (id BIGINT PRIMARY KEY, body VARCHAR(200))");
            s.execute("CREATE TABLE hot (id INT PRIMARY KEY, n BIGINT)");
            s.execute("INSERT INTO hot VALUES (1, 0)");
            db.connection().commit();
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 3_000; i++) {
                // A row written once, in a commit of its own (as a rental is), then commits that touch other rows only.
                s.execute("INSERT INTO cold VALUES (" + random.nextLong() + ", '" + "x".repeat(100) + "')");
                db.connection().commit();
                s.execute("UPDATE hot SET n = n + 1");
                db.connection().commit();
            }
            int before = db.store().getFileStore().getChunksFillRate();
            for (int i = 0; i < 20; i++) {
                db.compactChunks();
            }
            int after = db.store().getFileStore().getChunksFillRate();
            assertTrue(before < 30 && after > 80, "chunks filled " + before + " % before, " + after + " % after");
            try (ResultSet r = s.executeQuery("SELECT COUNT(*), MIN(LENGTH(body)) FROM cold")) {
                r.next();
                assertEquals(3_000, r.getLong(1), "no row lost");
                assertEquals(100, r.getLong(2));
            }
        }
    }

    @Test
    void aChannelWrittenBeforeV4KeepsItsLatestVoucher() throws Exception {
        byte[] latest = new byte[64];
        latest[0] = 7;
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("hub"), "edgerent", "");
                Statement s = c.createStatement()) {
            OldRunner.migrate(c, false, 3);
            s.execute("INSERT INTO device VALUES ('d-1', 'olga', X'01', 40000, X'00', 'rented', 'r-1', 1, 0, 0, 0, 0)");
            s.execute(
                    "INSERT INTO rental VALUES ('r-1', 'd-1', X'02', 'ssh-ed25519 AAAA', 'base', 'active', 0, 1, NULL)");
            s.execute(
                    "INSERT INTO channel(rental, renter_key, owner, device_id, deposit, price_per_hour, price_per_gb, fee_bps, paid,"
                            + " last_sequence, billed_ms, egress_bytes, usage_sequence, usage_online, usage_cpu, usage_memory, usage_in, state)"
                            + " VALUES ('r-1', X'02', 'olga', 'd-1', 1000, 60, 0, 500, 20, 1, 0, 0, -1, 0, 0, 0, 0, 'open')");
            s.execute("INSERT INTO voucher VALUES ('r-1', 0, 10, 100, X'" + "00".repeat(64) + "', 101)");
            try (PreparedStatement insert =
                    c.prepareStatement("INSERT INTO voucher VALUES ('r-1', 1, 20, 200, ?, 201)")) {
                insert.setBytes(1, latest);
                insert.execute();
            }
        }

        try (Database db = Database.embedded(dir);
                Statement s = db.connection().createStatement()) {
            try (ResultSet r = s.executeQuery(
                    "SELECT paid, last_sequence, voucher_issued_at, voucher_signature, voucher_received_at"
                            + " FROM channel WHERE rental = 'r-1'")) {
                r.next();
                assertEquals(20, r.getLong(1));
                assertEquals(1, r.getLong(2));
                assertEquals(200, r.getLong(3));
                assertArrayEquals(latest, r.getBytes(4));
                assertEquals(201, r.getLong(5));
            }
            try (ResultSet r =
                    s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'VOUCHER'")) {
                r.next();
                assertFalse(r.getLong(1) > 0, "the per-voucher table is gone");
            }
        }
    }
}
