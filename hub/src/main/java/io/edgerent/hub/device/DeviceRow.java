package io.edgerent.hub.device;

import io.edgerent.hub.payment.Meter;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Template;
import java.util.Set;

/**
 * A device's row as the rules read it, by column name in one place.
 *
 * @param currentRental the rental it serves or is told to serve, or null
 * @param state the state it said in its last heartbeat ({@code DeviceState} name)
 * @param region where its owner says it is ({@code ""} when not said)
 * @param lastSeen when it was last heard from ({@code device_heard}, as are {@code onlineDay} and {@code onlineDayMs})
 * @param onlineDay the day (from 1970-01-01, UTC) {@code onlineDayMs} counts
 * @param meter the meter its heartbeats run for the rental it serves ({@code device_heard})
 */
public record DeviceRow(
        String id,
        String owner,
        String currentRental,
        String state,
        long lastSeen,
        long assignmentVersion,
        Prices prices,
        boolean offered,
        Set<Template> templates,
        String region,
        long onlineDay,
        long onlineDayMs,
        Meter meter) {
    /** The row of device {@code ?}, its liveness joined. */
    static final String SELECT =
            "SELECT id, owner, current_rental, state, last_seen, assignment_version, price_per_hour,"
                    + " price_per_gb, offered, templates, region, online_day, online_day_ms, metered_rental, metered_ms,"
                    + " metered_until FROM device"
                    + " JOIN device_heard ON device_id = id WHERE id = ?";

    static DeviceRow of(Sql.Row r) {
        return new DeviceRow(
                r.text("id"),
                r.text("owner"),
                r.text("current_rental"),
                r.text("state"),
                r.integer("last_seen"),
                r.integer("assignment_version"),
                new Prices(r.integer("price_per_hour"), r.integer("price_per_gb")),
                r.bool("offered"),
                Template.parseList(r.text("templates")),
                r.text("region"),
                r.integer("online_day"),
                r.integer("online_day_ms"),
                new Meter(r.text("metered_rental"), r.integer("metered_ms"), r.nullableInteger("metered_until")));
    }
}
