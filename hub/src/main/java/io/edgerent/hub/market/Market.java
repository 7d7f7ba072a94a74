package io.edgerent.hub.market;

import io.edgerent.hub.device.Devices;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Template;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** This hub's listings: each device with its facts, prices, templates, region and uptime over 30 days. */
public final class Market {
    private static final long DAY_MILLIS = 86_400_000L;

    private final Sql sql;
    private final Devices devices;
    private final Clock clock;

    public Market(Sql sql, Devices devices, Clock clock) {
        this.sql = sql;
        this.devices = devices;
        this.clock = clock;
    }

    /** The devices offered for rent. */
    public List<Listing> listings() {
        return sql.transaction(() -> listings("offered", List.of()));
    }

    /** The listings of {@code owner}'s devices, offered or not. */
    public List<Listing> listingsOf(String owner) {
        return sql.transaction(() -> listings("owner = ?", List.of(owner)));
    }

    private List<Listing> listings(String where, List<Object> arguments) {
        long now = clock.millis();
        long today = Math.floorDiv(now, DAY_MILLIS);
        int days = Devices.UPTIME_DAYS;
        Map<String, Long> earlier = new HashMap<>();
        for (Sql.Row r : sql.all(
                "SELECT device_id, SUM(online_ms) FROM device_online WHERE on_day >= ? GROUP BY device_id",
                today - days + 1)) {
            earlier.put(r.text(1), r.integer(2));
        }
        List<Listing> listings = new ArrayList<>();
        for (Sql.Row r : sql.all(
                "SELECT d.id, owner, state, current_rental, last_seen, facts, price_per_hour, price_per_gb, templates,"
                        + " region, online_day, online_day_ms, registered_at, flagged FROM device d"
                        + " JOIN device_heard h ON h.id = d.heard WHERE " + where
                        + " ORDER BY registered_at",
                arguments.toArray())) {
            HardwareFacts facts = HardwareFacts.from(Cbor.decodeMap(r.bytes("facts")));
            String id = r.text("id");
            long onlineMs = earlier.getOrDefault(id, 0L)
                    + (r.integer("online_day") > today - days ? r.integer("online_day_ms") : 0);
            long window = Math.min(days * DAY_MILLIS, now - r.integer("registered_at"));
            int uptime = window <= 0 ? 1000 : (int) Math.min(1000, onlineMs * 1000 / window);
            // A device the hub still holds a rental for is not free, whatever it last said: until its heartbeat
            // after the wipe releases it, a rent would be refused.
            DeviceState state = DeviceState.valueOf(r.text("state"));
            if (state == DeviceState.LISTED && !r.isNull("current_rental")) {
                state = DeviceState.PREPARING;
            }
            listings.add(new Listing(
                    id,
                    r.text("owner"),
                    state,
                    devices.isOnline(r.integer("last_seen")),
                    facts,
                    new Prices(r.integer("price_per_hour"), r.integer("price_per_gb")),
                    Template.parseList(r.text("templates")),
                    null,
                    false,
                    r.text("region"),
                    uptime,
                    r.isNull("flagged") ? "" : r.text("flagged")));
        }
        return listings;
    }
}
