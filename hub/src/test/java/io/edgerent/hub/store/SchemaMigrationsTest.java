package io.edgerent.hub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schema migrations (Flyway) on the embedded database and on a real PostgreSQL from Debian's packages: a
 * database the hand-written runner before Flyway migrated ({@link OldRunner}) is adopted, a fresh one gets the schema
 * that runner made, one a newer hub migrated is refused untouched, and hubs starting together migrate once.
 */
class SchemaMigrationsTest {
    private static final String HISTORY = "\"" + SchemaMigrations.HISTORY + "\"";
    /** The last migration this hub has, and the one a newer hub would have run. */
    private static final int LATEST = 21;

    private static final int NEWER = LATEST + 1;
    private static final String NEWER_MIGRATION = "INSERT INTO " + HISTORY
            + " (\"installed_rank\", \"version\", \"description\", \"type\", \"script\", \"checksum\","
            + " \"installed_by\", \"execution_time\", \"success\")"
            + " VALUES (100, '" + NEWER + "', 'from a newer hub', 'SQL', 'V" + NEWER + "__from_a_newer_hub.sql', 1,"
            + " 'edgerent', 1, TRUE)";

    private static Postgres server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPostgres() throws Exception {
        server = Postgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anEmbeddedDatabaseTheOldRunnerMigratedIsAdoptedAndNothingRunsTwice() throws Exception {
        try (Connection c = h2(dir.resolve("old"))) {
            OldRunner.migrate(c, false, OldRunner.MIGRATIONS.length);
            addDevice(c);
        }
        try (Database db = Database.embedded(dir.resolve("old"))) {
            assertAdopted(db.connection());
        }
    }

    @Test
    void aPostgresDatabaseTheOldRunnerMigratedIsAdoptedAndNothingRunsTwice() throws Exception {
        String url = server.newDatabase();
        try (Connection c = DriverManager.getConnection(url)) {
            OldRunner.migrate(c, true, OldRunner.MIGRATIONS.length);
            addDevice(c);
        }
        try (Database db = Database.postgres(url)) {
            assertAdopted(db.connection());
        }
    }

    /**
     * Flyway's history holds the baseline at the old runner's last version, then only the migrations after it; the old
     * record and rows remain.
     */
    private static void assertAdopted(Connection c) throws SQLException {
        List<List<String>> expected = new ArrayList<>(List.of(List.of("15", "baseline", "true")));
        for (int v = 16; v <= LATEST; v++) {
            expected.add(List.of(Integer.toString(v), "sql", "true"));
        }
        assertEquals(expected, history(c), "a baseline, no migration run again");
        assertEquals(List.of(List.of("15", "15")), rows(c, "SELECT COUNT(*), MAX(version) FROM schema_version"));
        assertEquals(List.of(List.of("d-1", "olga")), rows(c, "SELECT id, owner FROM device"));
    }

    @Test
    void aFreshEmbeddedDatabaseGetsTheSchemaTheOldRunnerMadeAndTheLaterMigrations() throws Exception {
        try (Connection old = h2(dir.resolve("old"))) {
            OldRunner.migrate(old, false, OldRunner.MIGRATIONS.length);
        }
        try (Database adopted = Database.embedded(dir.resolve("old"));
                Database fresh = Database.embedded(dir.resolve("fresh"))) {
            assertEquals(schema(adopted.connection()), schema(fresh.connection()));
            assertEquals(LATEST, history(fresh.connection()).size(), "each migration once");
        }
    }

    @Test
    void aFreshPostgresDatabaseGetsTheSchemaTheOldRunnerMadeAndTheLaterMigrations() throws Exception {
        String oldUrl = server.newDatabase();
        try (Connection old = DriverManager.getConnection(oldUrl)) {
            OldRunner.migrate(old, true, OldRunner.MIGRATIONS.length);
        }
        try (Database adopted = Database.postgres(oldUrl);
                Database fresh = Database.postgres(server.newDatabase())) {
            assertEquals(schema(adopted.connection()), schema(fresh.connection()));
            assertEquals(LATEST, history(fresh.connection()).size(), "each migration once");
        }
    }

    @Test
    void anEmbeddedDatabaseWithAHistoryGetsTheRunningBalancesOfItsEntries() throws Exception {
        try (Connection old = h2(dir.resolve("old"));
                Statement s = old.createStatement()) {
            OldRunner.migrate(old, false, OldRunner.MIGRATIONS.length);
            for (String account : List.of("rail:external", "renter:aa", "owner:olga", "peer:p")) {
                s.execute("INSERT INTO account(id, created_at) VALUES ('" + account + "', 0)");
            }
            s.execute("INSERT INTO ledger_tx(id, ref, at) VALUES (1, 'deposit', 0), (2, 'rent', 0)");
            s.execute("INSERT INTO ledger_entry(tx_id, account, amount) VALUES (1, 'rail:external', -500),"
                    + " (1, 'renter:aa', 500), (2, 'renter:aa', -120), (2, 'owner:olga', 100), (2, 'peer:p', 20)");
        }
        try (Database adopted = Database.embedded(dir.resolve("old"))) {
            assertEquals(
                    List.of(List.of("peer:p", "20"), List.of("renter:aa", "380")),
                    rows(adopted.connection(), "SELECT account, balance FROM account_balance ORDER BY account"),
                    "renter wallets and clearing accounts only, each the sum of its entries");
        }
    }

    @Test
    void anEmbeddedDatabaseAtV19KeepsLivenessMeterAndUsageInRowsOfNumbers() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("hub");
        try (Connection c = DriverManager.getConnection(url, "edgerent", "")) {
            atV19WithTwoDevices(url, "edgerent", c, false);
        }
        try (Database db = Database.embedded(dir)) {
            assertLivenessAndMeterKept(db.connection());
        }
    }

    @Test
    void aPostgresDatabaseAtV19KeepsLivenessMeterAndUsageInRowsOfNumbers() throws Exception {
        String url = server.newDatabase();
        try (Connection c = DriverManager.getConnection(url)) {
            atV19WithTwoDevices(url, null, c, true);
        }
        try (Database db = Database.postgres(url)) {
            assertLivenessAndMeterKept(db.connection());
        }
    }

    /** Migrates to V19 with Flyway as the hub does, then adds two devices, one metering a rental with usage reported. */
    private static void atV19WithTwoDevices(String url, String user, Connection c, boolean postgres)
            throws SQLException {
        org.flywaydb.core.Flyway.configure(SchemaMigrations.class.getClassLoader())
                .dataSource(url, user, null)
                .locations(
                        "classpath:db/migration/common", "classpath:db/migration/" + (postgres ? "postgresql" : "h2"))
                .table(SchemaMigrations.HISTORY)
                .target("19")
                .load()
                .migrate();
        try (Statement s = c.createStatement();
                PreparedStatement device = c.prepareStatement(
                        "INSERT INTO device (id, owner, public_key, tunnel_port, facts, state, assignment_version,"
                                + " registered_at) VALUES (?, 'olga', ?, ?, ?, 'LISTED', 1, 0)")) {
            for (int d : new int[] {2, 1}) {
                device.setString(1, "d-" + d);
                device.setBytes(2, new byte[] {(byte) d});
                device.setInt(3, 40000 + 2 * d);
                device.setBytes(4, new byte[] {1});
                device.execute();
            }
            for (String insert : List.of(
                    "INSERT INTO rental(name, device_id, renter_key, ssh_key, template, state, created_at, ends_at)"
                            + " VALUES ('r-abc', 'd-1', ?, 'ssh-ed25519 AAAA', 'base', 'active', 1, 2)",
                    "INSERT INTO channel(rental, renter_key, owner, device_id, deposit, price_per_hour, price_per_gb,"
                            + " fee_bps, paid, last_sequence, billed_ms, egress_bytes, usage_sequence, usage_online, usage_cpu,"
                            + " usage_memory, usage_in, state, egress_cap, usage_at) VALUES ('r-abc', ?, 'olga', 'd-1',"
                            + " 1000, 60, 5, 500, 20, 1, 0, 123456789, 7, 61, 3, 65536, 987654, 'open', 1000000000,"
                            + " 1700000000000)")) {
                try (PreparedStatement p = c.prepareStatement(insert)) {
                    p.setBytes(1, new byte[] {2});
                    p.execute();
                }
            }
            s.execute("INSERT INTO device_heard(device_id, last_seen, online_day, online_day_ms, metered_rental,"
                    + " metered_ms, metered_until) VALUES ('d-1', 1700000000000, 19675, 3600000, 'r-abc', 61000,"
                    + " 1700000000000), ('d-2', 1690000000000, 19560, 5, NULL, 0, NULL)");
        }
    }

    /** Each device's numbers in the row its {@code heard} names, the metered rental on its own row (V20), the usage. */
    private static void assertLivenessAndMeterKept(Connection c) throws SQLException {
        assertEquals(
                List.of(
                        List.of("d-1", "1700000000000", "19675", "3600000", "r-abc", "61000", "1700000000000"),
                        List.of("d-2", "1690000000000", "19560", "5", "null", "0", "null")),
                rows(
                        c,
                        "SELECT d.id, h.last_seen, h.online_day, h.online_day_ms, d.metered_rental, h.metered_ms,"
                                + " h.metered_until FROM device d JOIN device_heard h ON h.id = d.heard ORDER BY d.id"));
        assertEquals(
                List.of(List.of("2", "2")),
                rows(c, "SELECT COUNT(*), COUNT(DISTINCT heard) FROM device"),
                "a row of numbers each");
        assertEquals(
                List.of(List.of("r-abc", "7", "123456789", "61", "3", "65536", "987654", "1700000000000")),
                rows(
                        c,
                        "SELECT c.rental, u.usage_sequence, u.egress_bytes, u.usage_online, u.usage_cpu, u.usage_memory,"
                                + " u.usage_in, u.usage_at FROM channel c JOIN channel_usage u ON u.id = c.usage_id"),
                "a channel's usage in its row of numbers (V21)");
    }

    @Test
    void anEmbeddedDatabaseANewerHubMigratedIsRefusedUntouched() throws Exception {
        Database.embedded(dir).close();
        try (Connection c = h2(dir);
                Statement s = c.createStatement()) {
            s.execute(NEWER_MIGRATION);
        }
        assertRefusedUntouched(() -> h2(dir), () -> Database.embedded(dir));
    }

    @Test
    void aPostgresDatabaseANewerHubMigratedIsRefusedUntouched() throws Exception {
        String url = server.newDatabase();
        Database.postgres(url).close();
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement()) {
            s.execute(NEWER_MIGRATION);
        }
        assertRefusedUntouched(() -> DriverManager.getConnection(url), () -> Database.postgres(url));
    }

    @Test
    void aDatabaseTheOldRunnerRecordedAsNewerIsRefusedUntouched() throws Exception {
        try (Connection c = h2(dir);
                Statement s = c.createStatement()) {
            OldRunner.migrate(c, false, OldRunner.MIGRATIONS.length);
            s.execute("INSERT INTO schema_version VALUES (" + NEWER + ", 'V" + NEWER + "__from_a_newer_hub.sql', 0)");
        }
        assertRefusedUntouched(() -> h2(dir), () -> Database.embedded(dir));
    }

    private static void assertRefusedUntouched(Callable<Connection> connect, Executable open) throws Exception {
        List<List<String>> before;
        try (Connection c = connect.call()) {
            before = everything(c);
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, open);
        assertTrue(
                refused.getMessage().contains("schema version " + NEWER + " but this hub knows only " + LATEST)
                        && refused.getMessage().contains("newer hub"),
                refused.getMessage());
        try (Connection c = connect.call()) {
            assertEquals(before, everything(c), "untouched");
        }
    }

    /** The schema, the tables there are (records included), and the records' rows, for a before and after. */
    private static List<List<String>> everything(Connection c) throws SQLException {
        List<List<String>> everything = schema(c);
        List<List<String>> tables = rows(
                c,
                "SELECT LOWER(table_name) FROM information_schema.tables WHERE LOWER(table_schema) = 'public'"
                        + " ORDER BY 1");
        everything.addAll(tables);
        if (tables.contains(List.of(SchemaMigrations.HISTORY))) {
            everything.addAll(history(c));
        }
        if (tables.contains(List.of(SchemaMigrations.OLD_HISTORY))) {
            everything.addAll(rows(c, "SELECT version, name FROM schema_version ORDER BY version"));
        }
        return everything;
    }

    @Test
    void hubsStartingTogetherOnAFreshPostgresMigrateOnce() throws Exception {
        String url = server.newDatabase();
        List<Database> hubs = startTogether(url, 4);
        try {
            List<List<String>> history = history(hubs.get(0).connection());
            assertEquals(LATEST, history.size(), "each migration once: " + history);
            for (int v = 1; v <= LATEST; v++) {
                assertEquals(Integer.toString(v), history.get(v - 1).get(0));
                assertEquals("true", history.get(v - 1).get(2));
            }
        } finally {
            hubs.forEach(Database::close);
        }
    }

    @Test
    void hubsStartingTogetherOnAPostgresTheOldRunnerMigratedAdoptItOnce() throws Exception {
        String url = server.newDatabase();
        try (Connection c = DriverManager.getConnection(url)) {
            OldRunner.migrate(c, true, OldRunner.MIGRATIONS.length);
            addDevice(c);
        }
        List<Database> hubs = startTogether(url, 4);
        try {
            assertAdopted(hubs.get(0).connection());
        } finally {
            hubs.forEach(Database::close);
        }
    }

    /** Opens {@code count} hubs' databases at once, each in a thread of its own, released together. */
    private static List<Database> startTogether(String url, int count) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Database>> starting = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return Database.postgres(url);
            }));
        }
        go.countDown();
        List<Database> hubs = new ArrayList<>();
        Exception failed = null;
        for (CompletableFuture<Database> hub : starting) {
            try {
                hubs.add(hub.get(120, TimeUnit.SECONDS));
            } catch (Exception e) {
                failed = e;
            }
        }
        if (failed != null) {
            hubs.forEach(Database::close);
            throw failed;
        }
        return hubs;
    }

    private static Connection h2(Path dir) throws SQLException {
        return DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("hub"), "edgerent", "");
    }

    private static void addDevice(Connection c) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO device (id, owner, public_key, tunnel_port, facts, state, assignment_version,"
                        + " last_seen, registered_at) VALUES ('d-1', 'olga', ?, 40000, ?, 'idle', 1, 0, 0)")) {
            insert.setBytes(1, new byte[32]);
            insert.setBytes(2, new byte[] {1});
            insert.execute();
        }
    }

    /**
     * The hub's tables as the database describes them: every column (type, length, nullability, default) and how
     * many constraints of each kind each table has; the two migration records left out.
     */
    private static List<List<String>> schema(Connection c) throws SQLException {
        String ours = " LOWER(table_schema) = 'public' AND LOWER(table_name) NOT IN ('" + SchemaMigrations.HISTORY
                + "', '" + SchemaMigrations.OLD_HISTORY + "')";
        List<List<String>> schema = rows(
                c,
                "SELECT LOWER(table_name), LOWER(column_name), LOWER(data_type), character_maximum_length, is_nullable,"
                        + " column_default FROM information_schema.columns WHERE" + ours + " ORDER BY 1, 2");
        schema.addAll(rows(
                c,
                "SELECT LOWER(table_name), constraint_type, COUNT(*) FROM information_schema.table_constraints WHERE"
                        + ours + " GROUP BY table_name, constraint_type ORDER BY 1, 2"));
        assertFalse(schema.isEmpty());
        return schema;
    }

    /**
     * Flyway's history: version, type and success of each entry, in the order applied (without the entry for the
     * table's creation it makes on H2).
     */
    private static List<List<String>> history(Connection c) throws SQLException {
        return rows(
                c,
                "SELECT \"version\", \"type\", \"success\" FROM " + HISTORY
                        + " WHERE \"version\" IS NOT NULL ORDER BY \"installed_rank\"");
    }

    private static List<List<String>> rows(Connection c, String query) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(query)) {
            ResultSetMetaData meta = r.getMetaData();
            while (r.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.add(String.valueOf(r.getObject(i)).toLowerCase(Locale.ROOT));
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
