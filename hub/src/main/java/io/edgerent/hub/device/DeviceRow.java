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
 * @param heard the key of its {@code device_heard} row, which holds numbers only (a heartbeat writes it)
 * @param onlineDay the day (from 1970-01-01, UTC) {@code onlineDayMs} counts
 * @param meter the meter its heartbeats run for the rental it serves (its time in {@code device_heard}, the rental
 *     it runs for on the device row)
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
        long heard,
        long onlineDay,
        long onlineDayMs,
        Meter meter) {
    /** A device's columns ({@code d}) and its liveness's ({@code h}, its {@code device_heard} row, {@code d.heard}). */
    public static final String COLUMNS = "d.id, d.owner, d.current_rental, d.state, h.last_seen, d.assignment_version,"
            + " d.price_per_hour, d.price_per_gb, d.offered, d.templates, d.region, d.heard, h.online_day,"
            + " h.online_day_ms, d.metered_rental, h.metered_ms, h.metered_until";

    /** The row of device {@code ?}, its liveness joined. */
    static final String SELECT =
            "SELECT " + COLUMNS + " FROM device d JOIN device_heard h ON h.id = d.heard WHERE d.id = ?";

    /** The device in {@code row}, selected first, as {@link #COLUMNS}. */
    public static DeviceRow of(Sql.Row r) {
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
                r.integer("heard"),
                r.integer("online_day"),
                r.integer("online_day_ms"),
                new Meter(r.text("metered_rental"), r.integer("metered_ms"), r.nullableInteger("metered_until")));
    }
}
