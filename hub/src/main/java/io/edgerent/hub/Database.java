package io.edgerent.hub;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's embedded database (H2, one file under the data directory) and its schema migrations.
 * Migrations are numbered SQL files under {@code db/migration}; each runs once, in its own
 * transaction, and is recorded in {@code schema_version}.
 */
final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /** In order; append, never edit one that has shipped. */
    static final List<String> MIGRATIONS = List.of("V1__walking_skeleton.sql", "V2__seen_requests.sql", "V3__payments.sql",
            "V4__latest_voucher.sql", "V5__wipes.sql", "V6__http_router.sql", "V7__offered.sql",
            "V8__templates.sql");

    private final Connection connection;

    private Database(Connection connection) {
        this.connection = connection;
    }

    /** Opens (creating if needed) the database in {@code dir} and brings its schema up to date. */
    static Database open(Path dir) {
        try {
            // WRITE_DELAY=0: a commit is on disk before the hub answers, so a crash loses no acknowledged change.
            String url = "jdbc:h2:file:" + dir.resolve("hub").toAbsolutePath() + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64";
            Connection connection = DriverManager.getConnection(url, "edgerent", "");
            Database db = new Database(connection);
            db.migrate();
            return db;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the hub database in " + dir + ": " + e.getMessage(), e);
        }
    }

    Connection connection() {
        return connection;
    }

    private void migrate() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, name VARCHAR(200), applied_at BIGINT)");
        }
        int current = 0;
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            rs.next();
            current = rs.getInt(1);
        }
        if (current > MIGRATIONS.size()) {
            throw new IllegalStateException("the database has schema version " + current
                    + " but this hub knows only " + MIGRATIONS.size() + ": it was written by a newer hub");
        }
        connection.setAutoCommit(false);
        try {
            for (int version = current + 1; version <= MIGRATIONS.size(); version++) {
                String name = MIGRATIONS.get(version - 1);
                try (Statement s = connection.createStatement()) {
                    for (String sql : read(name).split(";")) {
                        if (!sql.isBlank()) {
                            s.execute(sql);
                        }
                    }
                    s.execute("INSERT INTO schema_version VALUES (" + version + ", '" + name + "', " + System.currentTimeMillis() + ")");
                }
                connection.commit();
                LOG.info("database schema migrated to {} ({})", version, name);
            }
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
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
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the database: {}", e.getMessage());
        }
    }
}
