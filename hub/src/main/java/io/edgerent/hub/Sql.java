package io.edgerent.hub;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hub's one database connection and its transactions. A transaction started inside another
 * joins it, so the registry, the ledger and the channels compose into one atomic change. All work
 * runs under this object's lock: the embedded database is one writer at a time anyway.
 */
final class Sql {
    private final Connection db;
    private int depth;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    Sql(Database database) {
        this.db = database.connection();
    }

    interface Work<T> {
        T run() throws SQLException;
    }

    interface VoidWork {
        void run() throws SQLException;
    }

    synchronized void transaction(VoidWork work) {
        transaction(() -> {
            work.run();
            return null;
        });
    }

    /** Runs {@code work} in a transaction (or in the caller's); commits, or rolls back on any exception. */
    synchronized <T> T transaction(Work<T> work) {
        try {
            if (depth > 0) {
                depth++;
                try {
                    return work.run();
                } finally {
                    depth--;
                }
            }
            db.setAutoCommit(false);
            depth = 1;
            try {
                T result = work.run();
                db.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            } finally {
                depth = 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database: " + e.getMessage(), e);
        }
    }

    int update(String sql, Object... args) throws SQLException {
        return prepare(sql, args).executeUpdate();
    }

    /** Runs one statement for many rows as a JDBC batch. */
    void batch(String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        PreparedStatement s = prepare(sql);
        for (Object[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                s.setObject(i + 1, row[i]);
            }
            s.addBatch();
        }
        s.executeBatch();
    }

    Optional<Row> one(String sql, Object... args) throws SQLException {
        List<Row> rows = all(sql, args);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    List<Row> all(String sql, Object... args) throws SQLException {
        try (ResultSet rs = prepare(sql, args).executeQuery()) {
            List<Row> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Object[] values = new Object[columns];
                for (int i = 0; i < columns; i++) {
                    values[i] = rs.getObject(i + 1);
                }
                rows.add(new Row(values));
            }
            return rows;
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

    /** One result row; columns are numbered from 1 as in JDBC. */
    record Row(Object[] values) {
        String text(int column) {
            return (String) values[column - 1];
        }

        long integer(int column) {
            return ((Number) values[column - 1]).longValue();
        }

        boolean bool(int column) {
            return (Boolean) values[column - 1];
        }

        boolean isNull(int column) {
            return values[column - 1] == null;
        }

        Long nullableInteger(int column) {
            return values[column - 1] == null ? null : ((Number) values[column - 1]).longValue();
        }

        byte[] bytes(int column) {
            return (byte[]) values[column - 1];
        }
    }
}
