package io.edgerent.hub.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The hub's hand-written migration runner before Flyway (commit 4e77b4e), kept to make the databases it left:
 * each migration read in its H2 spelling, comment lines dropped, split on {@code ;}, translated for PostgreSQL by
 * two replacements, run in a transaction of its own and recorded in {@code schema_version}.
 */
final class OldRunner {
    /** The migrations it knew, in order. */
    static final String[] MIGRATIONS = {
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
        "V15__money_between_strangers.sql"
    };

    private OldRunner() {}

    /** Migrates the database of {@code connection} up to {@code version}, as the old runner did (autocommit left as it was). */
    static void migrate(Connection connection, boolean postgres, int version) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement s = connection.createStatement()) {
            s.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, name VARCHAR(200), applied_at BIGINT)");
            connection.commit();
            for (int v = 1; v <= version; v++) {
                String name = MIGRATIONS[v - 1];
                for (String sql : read(name).split(";")) {
                    if (!sql.isBlank()) {
                        s.execute(postgres ? forPostgres(sql) : sql);
                    }
                }
                s.execute("INSERT INTO schema_version VALUES (" + v + ", '" + name + "', " + System.currentTimeMillis()
                        + ")");
                connection.commit();
            }
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static String forPostgres(String sql) {
        return sql.replaceAll("VARBINARY\\(\\d+\\)", "BYTEA").replace("BIGINT AUTO_INCREMENT", "BIGSERIAL");
    }

    /** One migration in its H2 spelling (the one the old runner read), comment lines left out. */
    private static String read(String name) {
        String folder = OldRunner.class.getResource("/db/migration/h2/" + name) != null ? "h2" : "common";
        try (InputStream in = OldRunner.class.getResourceAsStream("/db/migration/" + folder + "/" + name)) {
            StringBuilder sql = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.strip().startsWith("--")) {
                    sql.append(line).append('\n');
                }
            }
            return sql.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
