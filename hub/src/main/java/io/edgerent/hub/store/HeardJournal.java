package io.edgerent.hub.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the embedded database, {@code device_heard} (each device's liveness and meter, written at every heartbeat) is
 * a table in memory, and every write of one of its rows is appended, whole, to {@code heard_journal} in the same
 * transaction (V20): an append changes the journal's last page only, where an update on disk cost the row's whole
 * page at every commit. What a commit made durable is in the journal; {@link #restore} makes the table again from
 * it when the database opens (the latest row of each device). {@link #compactStep} keeps the journal short: it
 * appends the devices' current rows again, a slice a step, and once a pass has gone through every device, whatever
 * was appended before the pass began says nothing the pass did not say again, and is deleted, a bounded number of
 * rows a step. On PostgreSQL the table is an ordinary one and this does nothing.
 */
public final class HeardJournal {
    private static final Logger LOG = LoggerFactory.getLogger(HeardJournal.class);
    static final String COLUMNS =
            "device_id, last_seen, online_day, online_day_ms, metered_rental, metered_ms, metered_until";
    /** A pass over every device takes about this long, whatever the fleet's size. */
    static final int PASS_STEPS = 30;
    /** The fewest rows a step appends again. */
    static final int MIN_SLICE = 100;
    /** The most superseded rows a step deletes. */
    static final int MAX_DELETE = 50_000;

    private final Sql sql;
    private final boolean on;
    /** The last device appended again in the pass under way ({@code ""}: the next step begins a pass). */
    private String cursor = "";
    /** The journal's last row when the pass under way began, and the devices' count then. */
    private long passBegan;

    private long slice;
    /** Rows up to this one are superseded by a finished pass; those up to {@code deleted} are gone. */
    private long superseded;

    private long deleted;

    public HeardJournal(Sql sql) {
        this.sql = sql;
        this.on = !sql.isPostgres();
    }

    /**
     * After a write of the device's {@code device_heard} row, in the caller's transaction: the row as written,
     * appended. The values come from the caller (who read the row in the same transaction and wrote it), not from
     * reading the row again: that read was most of what an append cost.
     */
    public void wrote(
            String deviceId,
            long lastSeen,
            long onlineDay,
            long onlineDayMs,
            String meteredRental,
            long meteredMs,
            Long meteredUntil) {
        if (on) {
            sql.update(
                    "INSERT INTO heard_journal(" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)",
                    deviceId,
                    lastSeen,
                    onlineDay,
                    onlineDayMs,
                    meteredRental,
                    meteredMs,
                    meteredUntil);
        }
    }

    /** Appends the next slice of devices' rows again, and deletes what a finished pass superseded; one transaction. */
    public void compactStep() {
        if (!on) {
            return;
        }
        sql.transaction(() -> {
            String from = cursor;
            long began = passBegan;
            long size = slice;
            if (from.isEmpty()) {
                began = sql.one("SELECT COALESCE(MAX(seq), 0) FROM heard_journal")
                        .orElseThrow()
                        .integer(1);
                long devices = sql.one("SELECT COUNT(*) FROM device_heard")
                        .orElseThrow()
                        .integer(1);
                size = Math.max(MIN_SLICE, (devices + PASS_STEPS - 1) / PASS_STEPS);
            }
            String to = sql.one(
                            "SELECT device_id FROM device_heard WHERE device_id > ? ORDER BY device_id"
                                    + " LIMIT 1 OFFSET ?",
                            from,
                            size - 1)
                    .map(r -> r.text(1))
                    .orElse(null);
            long done = superseded;
            if (to == null) {
                sql.update(
                        "INSERT INTO heard_journal(" + COLUMNS + ") SELECT " + COLUMNS
                                + " FROM device_heard WHERE device_id > ? ORDER BY device_id",
                        from);
                done = began;
            } else {
                sql.update(
                        "INSERT INTO heard_journal(" + COLUMNS + ") SELECT " + COLUMNS
                                + " FROM device_heard WHERE device_id > ? AND device_id <= ? ORDER BY device_id",
                        from,
                        to);
            }
            long upTo = Math.min(done, deleted + MAX_DELETE);
            if (upTo > deleted) {
                sql.update("DELETE FROM heard_journal WHERE seq <= ?", upTo);
            }
            // Kept only once the transaction commits: one rolled back leaves the pass where it was.
            String next = to == null ? "" : to;
            long passStart = began;
            long sliceSize = size;
            long supersededUpTo = done;
            long deletedUpTo = Math.max(deleted, upTo);
            sql.afterCommit(() -> {
                cursor = next;
                passBegan = passStart;
                slice = sliceSize;
                superseded = supersededUpTo;
                deleted = deletedUpTo;
            });
        });
    }

    /**
     * Makes {@code device_heard} again from the journal as the embedded database opens: each device's latest row;
     * the journal is cut to those rows.
     */
    static void restore(Connection c) throws SQLException {
        long started = System.nanoTime();
        String latest = "SELECT MAX(seq) FROM heard_journal GROUP BY device_id";
        try (Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM device_heard");
            int devices = s.executeUpdate("INSERT INTO device_heard(" + COLUMNS + ") SELECT " + COLUMNS
                    + " FROM heard_journal WHERE seq IN (" + latest + ")");
            int cut = s.executeUpdate("DELETE FROM heard_journal WHERE seq NOT IN (" + latest + ")");
            c.commit();
            if (devices > 0) {
                LOG.info(
                        "devices' liveness: {} rows from the journal, {} older ones dropped, in {} ms",
                        devices,
                        cut,
                        (System.nanoTime() - started) / 1_000_000);
            }
        }
    }
}
