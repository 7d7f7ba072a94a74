package io.edgerent.hub.store;

import io.edgerent.hub.threads.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.h2.api.ErrorCode;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's database and its schema migrations: H2 in one file under the data directory by
 * default, or PostgreSQL (several hubs sharing one). Migrations are numbered SQL files under
 * {@code db/migration}, the same for both; each runs once, in its own transaction, and is recorded
 * in {@code schema_version}. On PostgreSQL an advisory lock makes hubs starting together migrate
 * one after the other.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /** In order; append, never edit one that has shipped. */
    static final List<String> MIGRATIONS = List.of(
            "V1__walking_skeleton.sql",
            "V2__seen_requests.sql",
            "V3__payments.sql",
            "V4__latest_voucher.sql",
            "V5__wipes.sql",
            "V6__http_router.sql",
            "V7__offered.sql",
            "V8__templates.sql",
            "V9__several_hubs.sql",
            "V10__federation.sql",
            "V11__web.sql",
            "V12__rental_due.sql",
            "V13__given_up_rentals.sql",
            "V14__web_session_expiry.sql",
            "V15__money_between_strangers.sql");
    /** Where a PostgreSQL password may come from besides the URL and ~/.pgpass (kept out of the process list). */
    static final String PASSWORD_VARIABLE = "EDGERENT_DB_PASSWORD";

    private static final long MIGRATION_LOCK = 0x6564676572656e74L; // "edgerent"

    /** How often, and how much live data at most, the embedded database's sparse chunks are rewritten. */
    private static final long COMPACT_EVERY_SECONDS = 10;

    private static final int COMPACT_BYTES = 1 << 20;

    private volatile Connection connection;
    private final String postgresUrl;
    /** With H2: its store, and what rewrites its sparse chunks (see {@link #compactChunks}); null on PostgreSQL. */
    private MVStore store;

    /** With H2: the URL it was opened with, for a second connection of the same process (backups); else null. */
    private String embeddedUrl;

    private ScheduledExecutorService housekeeping;

    private Database(Connection connection, String postgresUrl) {
        this.connection = connection;
        this.postgresUrl = postgresUrl;
    }

    /**
     * Opens the PostgreSQL database at {@code url}, or with no URL the embedded one in {@code dataDir} (created if
     * needed), and brings its schema up to date.
     */
    public static Database open(String url, Path dataDir) {
        return url == null ? embedded(dataDir) : postgres(url);
    }

    /** Opens (creating if needed) the embedded database in {@code dir}. */
    public static Database embedded(Path dir) {
        // WRITE_DELAY=0: a commit is on disk before the hub answers, so a crash loses no acknowledged change.
        String url = "jdbc:h2:file:" + dir.resolve("hub").toAbsolutePath()
                + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64";
        try {
            Database db = migrated(new Database(DriverManager.getConnection(url, "edgerent", ""), null));
            db.embeddedUrl = url;
            db.store = ((SessionLocal)
                            db.connection.unwrap(JdbcConnection.class).getSession())
                    .getDatabase()
                    .getStore()
                    .getMvStore();
            return db;
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.DATABASE_ALREADY_OPEN_1) {
                throw new InUse(dir, e);
            }
            throw new IllegalStateException("cannot open the hub database in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The embedded database is held by another process (a running hub): H2 locks its file. */
    public static final class InUse extends IllegalStateException {
        InUse(Path dir, SQLException cause) {
            super("the hub database in " + dir + " is in use by another process (a running hub?)", cause);
        }
    }

    /**
     * Writes a transactionally consistent copy of the embedded database, as a zip holding its file, while the hub
     * goes on using it (H2's online {@code BACKUP TO}). It runs on a connection of its own: BACKUP is not
     * transactional, and on the hub's connection it would commit a transaction another thread has open.
     */
    public void backupTo(Path zip) {
        if (embeddedUrl == null) {
            throw new IllegalStateException("PostgreSQL is backed up with pg_dump, not by the hub");
        }
        try (Connection own = DriverManager.getConnection(embeddedUrl, "edgerent", "");
                Statement s = own.createStatement()) {
            s.execute("BACKUP TO '" + zip.toAbsolutePath().toString().replace("'", "''") + "'");
        } catch (SQLException e) {
            throw new IllegalStateException("backing up the database to " + zip + " failed: " + e.getMessage(), e);
        }
    }

    /** The schema version an open database is at: the last migration, which opening it applied. */
    public int schemaVersion() {
        return MIGRATIONS.size();
    }

    /** With H2, starts rewriting its sparse chunks every {@link #COMPACT_EVERY_SECONDS} (the hub does; tests may not). */
    public void startHousekeeping() {
        if (store != null && housekeeping == null) {
            housekeeping = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("database-housekeeping"));
            housekeeping.scheduleWithFixedDelay(
                    this::compactChunks, COMPACT_EVERY_SECONDS, COMPACT_EVERY_SECONDS, TimeUnit.SECONDS);
        }
    }

    /**
     * H2 writes a chunk at every commit, and with WRITE_DELAY=0 its background writer, whose housekeeping
     * rewrites sparse chunks, never runs. A chunk stays while any of its pages is live, and H2 keeps each
     * one's record and table of contents in memory (about 450 bytes): rows written once and left alone
     * (rentals, channels, ledger entries) held a chunk each, more chunks than devices at a few thousand.
     * This moves the live pages of the sparsest chunks older than H2's retention time, up to
     * {@link #COMPACT_BYTES} of them, into a new one, as that housekeeping would.
     */
    void compactChunks() {
        try {
            if (!store.isClosed() && store.compact(90, COMPACT_BYTES)) {
                store.commit();
            }
        } catch (RuntimeException e) {
            LOG.warn(
                    "compacting the database's chunks failed (tried again in {} s): {}",
                    COMPACT_EVERY_SECONDS,
                    e.getMessage());
        }
    }

    /** Connects to PostgreSQL at a {@code jdbc:postgresql://} URL. */
    public static Database postgres(String url) {
        try {
            return migrated(new Database(writer(url), url));
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot use the PostgreSQL database at " + redacted(url) + ": " + e.getMessage(), e);
        }
    }

    private static Database migrated(Database db) throws SQLException {
        try {
            db.migrate();
            return db;
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** The writer's connection: every transaction serializable, so hubs sharing the database never lose an update. */
    private static Connection writer(String url) throws SQLException {
        Connection connection = connect(url);
        connection.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE); // Sql runs the losers again
        return connection;
    }

    /**
     * Replaces the writer's connection after PostgreSQL dropped it (a restart, a failover, a network cut), so the
     * hub carries on without a restart of its own. Only on PostgreSQL; the embedded database has no connection to
     * lose.
     */
    Connection reconnect() throws SQLException {
        if (!isPostgres()) {
            throw new IllegalStateException("the embedded database has no connection to make again");
        }
        try {
            connection.close();
        } catch (SQLException gone) {
            // Already broken: that is why it is replaced.
        }
        connection = writer(postgresUrl);
        LOG.warn("made the database connection again: {}", redacted(postgresUrl));
        return connection;
    }

    /** A new connection to the same PostgreSQL database (the hub's event listener keeps one of its own). */
    Connection connectAgain() throws SQLException {
        return connect(postgresUrl);
    }

    private static Connection connect(String url) throws SQLException {
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException(
                    "--db takes a jdbc:postgresql://HOST:PORT/DATABASE URL, got '" + redacted(url) + "'");
        }
        Properties properties = new Properties();
        String password = System.getenv(PASSWORD_VARIABLE);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("ApplicationName", "edgerent hub");
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(url, properties);
    }

    /** The URL as it may be logged: without a password in it. */
    public static String redacted(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    /** The embedded database's store (H2's MVStore), null on PostgreSQL. */
    MVStore store() {
        return store;
    }

    public boolean isPostgres() {
        return postgresUrl != null;
    }

    public Connection connection() {
        return connection;
    }

    private void migrate() throws SQLException {
        connection.setAutoCommit(false);
        try {
            while (true) {
                try (Statement s = connection.createStatement()) {
                    if (isPostgres()) {
                        s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
                    }
                    s.execute(
                            "CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, name VARCHAR(200), applied_at BIGINT)");
                    int current;
                    try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
                        rs.next();
                        current = rs.getInt(1);
                    }
                    if (current > MIGRATIONS.size()) {
                        throw new IllegalStateException("the database has schema version " + current
                                + " but this hub knows only " + MIGRATIONS.size() + ": it was written by a newer hub");
                    }
                    if (current == MIGRATIONS.size()) {
                        connection.commit();
                        return;
                    }
                    int version = current + 1;
                    String name = MIGRATIONS.get(version - 1);
                    for (String sql : read(name).split(";")) {
                        if (!sql.isBlank()) {
                            s.execute(isPostgres() ? forPostgres(sql) : sql);
                        }
                    }
                    s.execute("INSERT INTO schema_version VALUES (" + version + ", '" + name + "', "
                            + System.currentTimeMillis() + ")");
                    connection.commit();
                    LOG.info("database schema migrated to {} ({})", version, name);
                }
            }
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }

    /**
     * The migrations are written in the SQL both databases speak, but for two spellings PostgreSQL
     * lacks: a bounded binary column and an auto-increment key.
     */
    static String forPostgres(String sql) {
        return sql.replaceAll("VARBINARY\\(\\d+\\)", "BYTEA").replace("BIGINT AUTO_INCREMENT", "BIGSERIAL");
    }

    /** The statements of one migration, comments left out. */
    static String read(String name) {
        try (InputStream in = Database.class.getResourceAsStream("/db/migration/" + name)) {
            if (in == null) {
                throw new IllegalStateException("migration " + name + " is missing from the hub jar");
            }
            StringBuilder sql = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.strip().startsWith("--")) {
                    sql.append(line).append('\n');
                }
            }
            return sql.toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read migration " + name, e);
        }
    }

    @Override
    public void close() {
        if (housekeeping != null) {
            // Not interrupted: H2's file channels close when a thread in their I/O is. A run is bounded (1 MB).
            housekeeping.shutdown();
            try {
                housekeeping.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the database: {}", e.getMessage());
        }
    }
}
