package io.edgerent.hub.store;

import io.edgerent.hub.threads.DaemonThreads;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
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
 * The hub's database: H2 in one file under the data directory by default, or PostgreSQL (several
 * hubs sharing one), its schema brought up to date when opened ({@link SchemaMigrations}).
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /** Where a PostgreSQL password may come from besides the URL and ~/.pgpass (kept out of the process list). */
    static final String PASSWORD_VARIABLE = "EDGERENT_DB_PASSWORD";

    /** The embedded database's user. */
    private static final String USER = "edgerent";

    /** How often, and how much live data at most, the embedded database's sparse chunks are rewritten. */
    private static final long COMPACT_EVERY_SECONDS = 10;

    private static final int COMPACT_BYTES = 1 << 20;

    private volatile Connection connection;
    private final String postgresUrl;
    /** With H2: its store, and what rewrites its sparse chunks (see {@link #compactChunks}); null on PostgreSQL. */
    private MVStore store;

    /** With H2: the URL it was opened with, for a second connection of the same process (backups); else null. */
    private String embeddedUrl;

    private int schemaVersion;

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
        // PAGE_SIZE=1024: H2 splits its B-tree pages at about 1 KB (4 KB by default, some 48 narrow rows), and a commit
        // writes every page it changed whole: a fleet's heartbeats and usage reports change one row each of pages
        // spread over the whole table. The writer's CPU a request 56-60 -> 42-46 us at 10,000 devices
        // (docs/benchmarks.md). H2 takes it at every open; pages written before split as they are rewritten.
        String url = "jdbc:h2:file:" + dir.resolve("hub").toAbsolutePath()
                + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64;PAGE_SIZE=1024";
        try {
            Database db = migrated(new Database(DriverManager.getConnection(url, USER, ""), null), url, USER, "");
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
        return schemaVersion;
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
            return migrated(new Database(writer(url), url), url, null, System.getenv(PASSWORD_VARIABLE));
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot use the PostgreSQL database at " + redacted(url) + ": " + e.getMessage(), e);
        }
    }

    /** {@code db} with its schema brought up to date, through Flyway's connections with these credentials. */
    private static Database migrated(Database db, String url, String user, String password) throws SQLException {
        try {
            db.schemaVersion = Integer.parseInt(SchemaMigrations.apply(db.connection, url, user, password));
            db.connection.setAutoCommit(false);
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
