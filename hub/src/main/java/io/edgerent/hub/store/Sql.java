package io.edgerent.hub.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's one database connection and its transactions. A transaction started inside another
 * joins it, so the rentals, the ledger and the channels compose into one atomic change. All work
 * runs under this object's lock: the embedded database is one writer at a time anyway.
 *
 * <p>On PostgreSQL, where other hubs write too, transactions are serializable: one that lost a race
 * with another hub's is rolled back and run again from the start ({@link #MAX_ATTEMPTS} times at most),
 * so no update is lost and nothing is settled twice. Work must therefore change nothing outside the
 * database before it returns. A connection PostgreSQL dropped (a restart, a failover) is made again and
 * the transaction run again, unless it was lost while committing: then whether it committed is unknown,
 * and the caller gets the error rather than a second copy of the change.
 *
 * <p>When the connection cannot be made again within {@link #RECONNECT_WAIT_MILLIS}, the database is away:
 * said once in the log, and every transaction fails at once with {@link DatabaseUnavailable} (5.03, 503)
 * rather than queueing behind this lock, except that one in each backoff tries to connect again,
 * the wait doubling up to {@link DatabaseUnavailable#RETRY_AFTER_SECONDS}. The first that connects says so.
 */
public final class Sql {
    static final int MAX_ATTEMPTS = 30;
    /** PostgreSQL's codes for "run it again": a serialization failure and a deadlock. */
    private static final Set<String> RETRYABLE = Set.of("40001", "40P01");

    private static final Logger LOG = LoggerFactory.getLogger(Sql.class);
    /**
     * How long a transaction that lost its connection tries to make it again before it fails: long enough for a
     * connection dropped by a running server (a failover done, an idle timeout), short enough that callers queued
     * behind it are answered 5.03 soon, not after their clients gave up.
     */
    static final long RECONNECT_WAIT_MILLIS = 1_000;

    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long LONGEST_BACKOFF_MILLIS = DatabaseUnavailable.RETRY_AFTER_SECONDS * 1000L;

    private final Database database;
    private final CommitTimer commitTimer;
    private Connection db;
    private final boolean postgres;
    private boolean committing;
    private int depth;
    private long retries;
    /** While the database is away: since when (0 while it answers), and when the next attempt to connect is due. */
    private long awaySince;

    private long nextAttempt;
    private long backoff;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    /** The column names each query text selects (lower case), read from the first result's metadata. */
    private final Map<String, String[]> columnNames = new HashMap<>();
    /** What waits for the outermost transaction to commit, in order; dropped with what a rollback undoes. */
    private final List<Runnable> afterCommit = new ArrayList<>();

    public Sql(Database database) {
        this(database, nanos -> {});
    }

    /** A connection whose commits are timed by {@code commitTimer}. */
    public Sql(Database database, CommitTimer commitTimer) {
        this.commitTimer = commitTimer;
        this.database = database;
        this.db = database.connection();
        this.postgres = database.isPostgres();
    }

    /** What is told how long each commit took (the hub's metrics). */
    public interface CommitTimer {
        void committed(long nanos);
    }

    /** Work in a transaction; the database's refusals reach it as {@link DatabaseException}. */
    public interface Work<T> {
        T run();
    }

    public interface VoidWork {
        void run();
    }

    /** A statement the database refused or could not run; its cause is the driver's {@link SQLException}. */
    public static final class DatabaseException extends IllegalStateException {
        DatabaseException(SQLException cause) {
            super("database: " + cause.getMessage(), cause);
        }
    }

    public synchronized void transaction(VoidWork work) {
        transaction(() -> {
            work.run();
            return null;
        });
    }

    /**
     * Runs {@code work} in a transaction (or in the caller's); commits, or rolls back on any exception.
     * A transaction another hub's made fail is run again.
     */
    public synchronized <T> T transaction(Work<T> work) {
        if (depth > 0) {
            depth++;
            try {
                return work.run();
            } finally {
                depth--;
            }
        }
        if (awaySince != 0) {
            connectIfDue();
        }
        long reconnectUntil = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                T result = once(work);
                List<Runnable> due = List.copyOf(afterCommit);
                afterCommit.clear();
                due.forEach(Runnable::run);
                return result;
            } catch (SQLException | RuntimeException e) {
                if (connectionLost(e)) {
                    boolean unknown = committing;
                    long now = System.currentTimeMillis();
                    if (reconnectUntil != 0 && now > reconnectUntil) {
                        throw new DatabaseUnavailable("the connection keeps being lost", e);
                    }
                    reconnectUntil = reconnectUntil == 0 ? now + RECONNECT_WAIT_MILLIS : reconnectUntil;
                    reconnect(reconnectUntil, e);
                    if (unknown) {
                        LOG.warn("the database connection was lost while committing: {}", e.getMessage());
                        throw new DatabaseUnavailable(
                                "the connection was lost while committing; whether the change was made is unknown", e);
                    }
                    continue;
                }
                if (!retryable(e) || attempt >= MAX_ATTEMPTS) {
                    throw e instanceof RuntimeException r
                            ? r
                            : new IllegalStateException("database: " + e.getMessage(), e);
                }
                retries++;
                backOff(attempt);
            }
        }
    }

    private <T> T once(Work<T> work) throws SQLException {
        db.setAutoCommit(false);
        depth = 1;
        committing = false;
        try {
            T result = work.run();
            committing = true;
            long start = System.nanoTime();
            db.commit();
            commitTimer.committed(System.nanoTime() - start);
            committing = false;
            return result;
        } catch (SQLException | RuntimeException e) {
            afterCommit.clear();
            try {
                db.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback); // a dropped connection cannot roll back: the server already did
            }
            throw e;
        } finally {
            depth = 0;
        }
    }

    /** Whether PostgreSQL dropped the connection: SQLSTATE class 08, or an administrator's or a crash's shutdown. */
    boolean connectionLost(Throwable e) {
        if (!postgres) {
            return false;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql
                    && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        try {
            return db.isClosed();
        } catch (SQLException closed) {
            return true;
        }
    }

    /** Connects again, with growing waits, until {@code until}; past it the database is away and this fails. */
    private void reconnect(long until, Throwable cause) {
        long wait = FIRST_BACKOFF_MILLIS;
        while (true) {
            try {
                connect();
                return;
            } catch (SQLException e) {
                if (System.currentTimeMillis() + wait > until) {
                    DatabaseUnavailable away = away(e);
                    away.addSuppressed(cause);
                    throw away;
                }
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new DatabaseUnavailable("interrupted while connecting again", cause);
                }
                wait = Math.min(2 * wait, LONGEST_BACKOFF_MILLIS);
            }
        }
    }

    /** While the database is away: tries to connect if an attempt is due, else fails at once. */
    private void connectIfDue() {
        if (System.currentTimeMillis() < nextAttempt) {
            throw new DatabaseUnavailable(
                    "unreachable for " + (System.currentTimeMillis() - awaySince) / 1000 + " s", null);
        }
        try {
            connect();
        } catch (SQLException e) {
            throw away(e);
        }
    }

    private void connect() throws SQLException {
        statements.clear(); // prepared on the connection that is gone
        db = database.reconnect();
        if (awaySince != 0) {
            LOG.warn(
                    "database is back after {} s: answering again",
                    (System.currentTimeMillis() - awaySince + 500) / 1000);
            awaySince = 0;
        } else {
            LOG.warn("made the database connection again");
        }
    }

    /** The database is away: said once when it goes, and the next attempt to connect put off a little longer. */
    private DatabaseUnavailable away(SQLException e) {
        long now = System.currentTimeMillis();
        if (awaySince == 0) {
            awaySince = now;
            backoff = FIRST_BACKOFF_MILLIS;
            LOG.error(
                    "database unreachable: {}; answering 5.03 (CoAP) and 503 (HTTP) until it is back", e.getMessage());
        } else {
            backoff = Math.min(2 * backoff, LONGEST_BACKOFF_MILLIS);
        }
        nextAttempt = now + backoff;
        return new DatabaseUnavailable("unreachable", e);
    }

    /**
     * Runs {@code action} once the transaction this is called in has committed (at once outside one):
     * a transaction joined by others, as a group commit's, tells no one of a change before it is durable.
     */
    public void afterCommit(Runnable action) {
        if (depth == 0) {
            action.run();
        } else {
            afterCommit.add(action);
        }
    }

    /** Up to a few milliseconds, random, growing with the attempts, so two hubs that collided do not collide again. */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1 << Math.min(attempt, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying a database transaction", e);
        }
    }

    /**
     * Inside a transaction: runs {@code work} so that if it fails, what it wrote is undone and the rest
     * of the transaction stands. A race lost with another hub is not undone here: the whole transaction
     * runs again.
     */
    public <T> T savepoint(Work<T> work) {
        // In SQL, prepared once: JDBC's setSavepoint names each savepoint anew, and H2 parses that statement every
        // time (4 % of the writer's time in WriterSoakBenchmark). One name serves: savepoints do not nest here.
        update("SAVEPOINT piece");
        int waiting = afterCommit.size();
        T result;
        try {
            result = work.run();
        } catch (RuntimeException e) {
            if (!retryable(e)) {
                update("ROLLBACK TO SAVEPOINT piece");
                update("RELEASE SAVEPOINT piece");
                afterCommit.subList(waiting, afterCommit.size()).clear();
            }
            throw e;
        }
        update("RELEASE SAVEPOINT piece");
        return result;
    }

    /** Whether {@code e} says a transaction lost a race with another hub's and should run again. */
    boolean retryable(Throwable e) {
        for (Throwable t = e; postgres && t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && RETRYABLE.contains(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** How many transactions were run again after losing a race with another hub's. */
    public synchronized long retries() {
        return retries;
    }

    /**
     * Tells the other hubs on this database something, once this transaction commits (PostgreSQL's
     * NOTIFY; nothing on the embedded database, which has no other hub).
     */
    public void tellOtherHubs(String channel, String message) {
        if (postgres) {
            all("SELECT pg_notify(?, ?)", channel, message);
        }
    }

    public int update(String sql, Object... args) {
        try {
            return prepare(sql, args).executeUpdate();
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    /** Runs one statement for many rows as a JDBC batch. */
    void batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        try {
            PreparedStatement s = prepare(sql);
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    s.setObject(i + 1, row[i]);
                }
                s.addBatch();
            }
            s.executeBatch();
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    /**
     * The number for a new row of {@code table}, keyed by a {@code BIGINT id} the hub assigns, in the caller's
     * transaction. Numbered here, not by the database: H2 and PostgreSQL spell sequences differently. Hubs sharing
     * PostgreSQL that pick the same number conflict on this read (serializable), and the loser runs again.
     */
    public long nextId(String table) {
        return one("SELECT COALESCE(MAX(id), 0) + 1 FROM " + table)
                .orElseThrow()
                .integer(1);
    }

    public Optional<Row> one(String sql, Object... args) {
        List<Row> rows = all(sql, args);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    public List<Row> all(String sql, Object... args) {
        try (ResultSet rs = prepare(sql, args).executeQuery()) {
            List<Row> rows = new ArrayList<>();
            String[] names = columnNames.get(sql);
            if (names == null) {
                names = new String[rs.getMetaData().getColumnCount()];
                for (int i = 0; i < names.length; i++) {
                    // H2 says column labels in capitals, PostgreSQL in lower case.
                    names[i] = rs.getMetaData().getColumnLabel(i + 1).toLowerCase(java.util.Locale.ROOT);
                }
                columnNames.put(sql, names);
            }
            int columns = names.length;
            while (rs.next()) {
                Object[] values = new Object[columns];
                for (int i = 0; i < columns; i++) {
                    values[i] = rs.getObject(i + 1);
                }
                rows.add(new Row(names, values));
            }
            return rows;
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    /** Statements are prepared once per SQL text and kept: one connection, used under this object's lock only. */
    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement s = statements.get(sql);
        if (s == null) {
            s = db.prepareStatement(sql);
            statements.put(sql, s);
        }
        s.clearParameters();
        for (int i = 0; i < args.length; i++) {
            s.setObject(i + 1, args[i]);
        }
        return s;
    }

    /**
     * One result row; columns are numbered from 1 as in JDBC, or named as the query selected them
     * ({@code d.last_seen} is {@code last_seen}). {@code names} is shared by the rows of one result.
     */
    public record Row(String[] names, Object[] values) {
        /** The number (from 1) of the column selected as {@code name}. */
        public int column(String name) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return i + 1;
                }
            }
            throw new IllegalArgumentException(
                    "no column " + name + " in this row (it has " + String.join(", ", names) + ")");
        }

        /**
         * The columns from the first one selected as {@code name} on: the part of a row that one query made of
         * several parts, each selected by its own column list, where names repeat from part to part.
         */
        public Row from(String name) {
            int i = column(name) - 1;
            return new Row(
                    java.util.Arrays.copyOfRange(names, i, names.length),
                    java.util.Arrays.copyOfRange(values, i, values.length));
        }

        public String text(String name) {
            return text(column(name));
        }

        public long integer(String name) {
            return integer(column(name));
        }

        public boolean bool(String name) {
            return bool(column(name));
        }

        public boolean isNull(String name) {
            return isNull(column(name));
        }

        public byte[] bytes(String name) {
            return bytes(column(name));
        }

        public Long nullableInteger(String name) {
            return nullableInteger(column(name));
        }

        public String text(int column) {
            return (String) values[column - 1];
        }

        public long integer(int column) {
            return ((Number) values[column - 1]).longValue();
        }

        public boolean bool(int column) {
            return (Boolean) values[column - 1];
        }

        public boolean isNull(int column) {
            return values[column - 1] == null;
        }

        public Long nullableInteger(int column) {
            return values[column - 1] == null ? null : ((Number) values[column - 1]).longValue();
        }

        public byte[] bytes(int column) {
            return (byte[]) values[column - 1];
        }
    }
}
