package io.edgerent.hub.rental;

import static io.edgerent.protocol.RentalView.ACTIVE;

import io.edgerent.hub.device.Devices;
import io.edgerent.hub.store.Sql;
import java.util.Map;
import java.util.Optional;

/** How renters reach their rentals: through the SSH gateway and the HTTP router, and what the router sent out. */
public final class Access {
    private final Sql sql;
    private final Devices devices;

    public Access(Sql sql, Devices devices) {
        this.sql = sql;
        this.devices = devices;
    }

    /**
     * Where the HTTP router sends a rental's requests, and whether it may: {@code state} is the
     * rental's, {@code paused} whether payment stopped it, {@code online} whether its device was heard
     * from lately, {@code httpTunnelPort} 0 when the device has no HTTP forward.
     */
    public record HttpRoute(String state, boolean paused, boolean online, int httpTunnelPort, String tunnelAt) {}

    public Optional<HttpRoute> httpRoute(String rental) {
        return sql.transaction(() -> sql.one(
                        "SELECT r.state, c.paused_since, h.last_seen, d.http_tunnel_port, d.tunnel_at FROM rental r"
                                + " JOIN device d ON d.id = r.device_id JOIN device_heard h ON h.id = d.heard"
                                + " LEFT JOIN channel c ON c.rental = r.name WHERE r.name = ?",
                        rental)
                .map(r -> new HttpRoute(
                        r.text("state"),
                        !r.isNull("paused_since"),
                        devices.isOnline(r.integer("last_seen")),
                        r.isNull("http_tunnel_port") ? 0 : (int) r.integer("http_tunnel_port"),
                        r.text("tunnel_at"))));
    }

    /** Adds what the HTTP router sent out for each rental since the last call. */
    public void addHttpBytesOut(Map<String, Long> bytesByRental) {
        sql.transaction(() -> {
            for (Map.Entry<String, Long> e : bytesByRental.entrySet()) {
                sql.update(
                        "UPDATE rental SET http_bytes_out = http_bytes_out + ? WHERE name = ?",
                        e.getValue(),
                        e.getKey());
            }
        });
    }

    /**
     * How a renter reaches an active rental: the key allowed in, the device's tunnel port, and the
     * hub gateway holding its tunnel ({@code tunnelAt}, HOST:PORT; null when none does).
     */
    public record RentalAccess(String sshKey, int tunnelPort, String tunnelAt) {}

    /** An active rental that is not paused for lack of payment. */
    public Optional<RentalAccess> activeRental(String name) {
        return sql.transaction(() -> sql.one(
                        "SELECT r.ssh_key, d.tunnel_port, d.tunnel_at FROM rental r JOIN device d"
                                + " ON d.id = r.device_id LEFT JOIN channel c ON c.rental = r.name WHERE r.name = ? AND r.state = ?"
                                + " AND c.paused_since IS NULL",
                        name,
                        ACTIVE)
                .map(r -> new RentalAccess(r.text("ssh_key"), (int) r.integer("tunnel_port"), r.text("tunnel_at"))));
    }
}
