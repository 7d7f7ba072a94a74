package io.edgerent.hub.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's schema, brought up to date by Flyway from the numbered SQL files under {@code db/migration}: those in
 * {@code common} run as they are on both databases, those in {@code h2} or {@code postgresql} are the few whose SQL
 * differs (a bounded binary column, an auto-increment key), spelled out for each. Flyway records what ran in
 * {@value #HISTORY}, each migration in a transaction of its own, and on PostgreSQL it holds an advisory lock while
 * it creates that table and while it applies each migration, so hubs starting together migrate once.
 *
 * <p>A database the hub's earlier hand-written runner migrated (its record: {@value #OLD_HISTORY}) is adopted with a
 * baseline at the highest version recorded there, so nothing runs twice; {@value #OLD_HISTORY} is left as it was
 * (nothing reads it once Flyway's history exists). A database holding a version this hub has no file for was
 * migrated by a newer hub, and is refused untouched.
 */
final class SchemaMigrations {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrations.class);

    /** Flyway's record of the migrations applied (its default name). */
    static final String HISTORY = "flyway_schema_history";

    /** The hand-written runner's record (versions 1 to 15 at most): read only to adopt the database it migrated. */
    static final String OLD_HISTORY = "schema_version";

    private SchemaMigrations() {}

    /**
     * Brings the schema of the database at {@code url} up to date through connections of Flyway's own; {@code
     * connection} is the caller's, to the same database, to look for the earlier runner's record. Returns the
     * version the schema is at.
     */
    static String apply(Connection connection, String url, String user, String password) throws SQLException {
        boolean postgres = url.startsWith("jdbc:postgresql:");
        MigrationVersion adopted = versionToAdopt(connection);
        FluentConfiguration configuration = Flyway.configure(SchemaMigrations.class.getClassLoader())
                .loggers("slf4j")
                .dataSource(url, user, password)
                .locations(
                        "classpath:db/migration/common", "classpath:db/migration/" + (postgres ? "postgresql" : "h2"))
                .table(HISTORY)
                // By default Flyway passes over applied versions newer than its files (*:future); the hub refuses them.
                .ignoreMigrationPatterns(new String[0]);
        if (adopted != null) {
            configuration
                    .baselineOnMigrate(true)
                    .baselineVersion(adopted)
                    .baselineDescription("adopted from " + OLD_HISTORY);
        }
        Flyway flyway = configuration.load();
        try {
            refuseNewer(flyway.info(), adopted);
            if (adopted != null) {
                LOG.info("the database was migrated before Flyway, up to version {}: adopting it there", adopted);
            }
            flyway.migrate();
            return flyway.info().current().getVersion().getVersion();
        } catch (FlywayException e) {
            throw new IllegalStateException("cannot migrate the database schema: " + e.getMessage(), e);
        }
    }

    /**
     * The highest version the earlier runner recorded, if it migrated this database and Flyway has not taken over
     * yet; null otherwise.
     */
    private static MigrationVersion versionToAdopt(Connection connection) throws SQLException {
        Set<String> tables = new HashSet<>();
        try (ResultSet r =
                connection.getMetaData().getTables(null, connection.getSchema(), null, new String[] {"TABLE"})) {
            while (r.next()) {
                tables.add(r.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
            }
        }
        if (tables.contains(HISTORY) || !tables.contains(OLD_HISTORY)) {
            return null;
        }
        try (Statement s = connection.createStatement();
                ResultSet r = s.executeQuery("SELECT MAX(version) FROM " + OLD_HISTORY)) {
            r.next();
            int version = r.getInt(1);
            return version > 0 ? MigrationVersion.fromVersion(Integer.toString(version)) : null;
        }
    }

    /** Refuses a database whose version is newer than this hub's newest migration: a newer hub migrated it. */
    private static void refuseNewer(MigrationInfoService info, MigrationVersion adopted) {
        MigrationVersion known = Arrays.stream(info.all())
                .filter(m -> !m.getPhysicalLocation().isEmpty()) // a file this hub has
                .map(MigrationInfo::getVersion)
                .filter(Objects::nonNull)
                .max(MigrationVersion::compareTo)
                .orElse(MigrationVersion.EMPTY);
        MigrationVersion current = adopted != null
                ? adopted
                : info.current() == null
                        ? MigrationVersion.EMPTY
                        : info.current().getVersion();
        if (current.compareTo(known) > 0) {
            throw new IllegalStateException("the database has schema version " + current + " but this hub knows only "
                    + known + ": it was migrated by a newer hub; run that one, or update this one");
        }
    }
}
