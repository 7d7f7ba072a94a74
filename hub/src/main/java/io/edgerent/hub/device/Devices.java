package io.edgerent.hub.device;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.events.Events;
import io.edgerent.hub.payment.Meter;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.HomeProof;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.Template;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owners' devices: registration with a one-time token, the tunnel ports each holds, where its tunnel is,
 * what it said in its heartbeats, and the key every device pins. Each public method is one transaction, or
 * joins the caller's.
 */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    /** This hub's key, which devices' home proofs name; null until claimed (then no proof is taken). */
    private volatile String hubKey;

    private static final long DAY_MILLIS = 86_400_000L;
    /** The listings' uptime covers this many days, today included. */
    public static final int UPTIME_DAYS = 30;

    private final Sql sql;
    private final HubConfig config;
    private final Clock clock;
    private final Events events;

    public Devices(Sql sql, HubConfig config, Clock clock, Events events) {
        this.sql = sql;
        this.config = config;
        this.clock = clock;
        this.events = events;
    }

    /**
     * Records the key this hub shows. On a database several hubs share, it must be the key every one
     * of them shows (devices pin one key and may talk to any of them), so a hub with another key is
     * refused; a hub alone on its database may have a new key (its devices then refuse it until their
     * owners pin the new one).
     */
    public void claimIdentity(String hubKey, boolean shared) {
        this.hubKey = hubKey;
        sql.transaction(() -> {
            Optional<Sql.Row> known = sql.one("SELECT hub_key FROM hub_identity WHERE id = 1");
            if (known.isEmpty()) {
                sql.update("INSERT INTO hub_identity(id, hub_key) VALUES (1, ?)", hubKey);
            } else if (!shared) {
                sql.update("UPDATE hub_identity SET hub_key = ? WHERE id = 1", hubKey);
            } else if (!known.get().text(1).equals(hubKey)) {
                throw new IllegalStateException("this hub's key (" + hubKey
                        + ") is not the key of the other hubs on this database ("
                        + known.get().text(1) + "): devices pin one key, so every hub of a fleet needs the same; copy"
                        + " ssh_host_ecdsa_key from the first hub's data directory into this one's");
            }
        });
    }

    public String issueToken(String owner) {
        String token = Names.newSecret();
        sql.transaction(() ->
                sql.update("INSERT INTO owner_token(token, owner, created_at) VALUES (?, ?, ?)", token, owner, now()));
        return token;
    }

    /** A one-time invitation to sign up on the web pages as {@code owner}'s account (it sees that owner's dashboard). */
    public String issueOwnerInvite(String owner) {
        String code = Names.newSecret();
        sql.transaction(() ->
                sql.update("INSERT INTO owner_invite(code, owner, created_at) VALUES (?, ?, ?)", code, owner, now()));
        return code;
    }

    public RegistrationAccepted register(Registration registration, int sshPort, String hubHostKey) {
        Events.Changes changes = events.changes();
        return changes.commit(() -> {
            Sql.Row token = sql.one("SELECT owner, used_by FROM owner_token WHERE token = ?", registration.token())
                    .orElseThrow(() -> new RefusedException(ErrorCode.FORBIDDEN, "registration token is unknown"));
            Optional<Sql.Row> sameKey = sql.one(
                    "SELECT id, tunnel_port, http_tunnel_port FROM device WHERE public_key = ?",
                    registration.publicKey());
            String usedBy = token.text("used_by");
            if (usedBy != null) {
                // The same device retrying after a lost answer gets the same answer; anyone else is refused.
                if (sameKey.isPresent() && sameKey.get().text("id").equals(usedBy)) {
                    Sql.Row known = sameKey.get();
                    int httpPort = known.isNull("http_tunnel_port")
                            ? reserveHttpPort(usedBy)
                            : (int) known.integer("http_tunnel_port");
                    return new RegistrationAccepted(
                            usedBy, sshPort, (int) known.integer("tunnel_port"), httpPort, hubHostKey);
                }
                throw new RefusedException(ErrorCode.FORBIDDEN, "registration token was already used");
            }
            if (sameKey.isPresent()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "this device key is already registered as "
                                + sameKey.get().text("id"));
            }
            int port = freeTunnelPort();
            String id = Names.newDeviceId();
            long now = now();
            long heard = sql.nextId("device_heard");
            sql.update(
                    "INSERT INTO device_heard(id, last_seen, online_day, online_day_ms, metered_ms)"
                            + " VALUES (?, ?, 0, 0, 0)",
                    heard,
                    now);
            sql.update(
                    "INSERT INTO device(id, owner, public_key, tunnel_port, facts, state, assignment_version,"
                            + " registered_at, heard) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    id,
                    token.text("owner"),
                    registration.publicKey(),
                    port,
                    Cbor.encode(registration.facts().toCbor()),
                    DeviceState.LISTED.name(),
                    now,
                    heard);
            int httpPort = reserveHttpPort(id);
            sql.update(
                    "UPDATE owner_token SET used_by = ?, used_at = ? WHERE token = ?", id, now, registration.token());
            changes.assignmentChanged(id);
            return new RegistrationAccepted(id, sshPort, port, httpPort, hubHostKey);
        });
    }

    /** The device's row, in the caller's transaction; a device this hub does not know is refused. */
    public DeviceRow row(String deviceId) {
        return sql.one(DeviceRow.SELECT, deviceId)
                .map(DeviceRow::of)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub"));
    }

    /**
     * Records, in the caller's transaction, that the device {@code device} is alive, in which state and at which
     * prices, and counts the time since its last heartbeat as online when it was not too long. Its liveness is one
     * row of numbers ({@code device_heard}), with the time of the meter of the rental it serves, {@code meter}; the
     * device's own row is written only when what it says changed, or the meter starts on another rental.
     */
    public void heard(DeviceRow device, Heartbeat heartbeat, Meter meter) {
        long now = now();
        long gap = now - device.lastSeen();
        long online = gap > 0 && gap <= config.offlineAfter().toMillis() ? gap : 0;
        long today = Math.floorDiv(now, DAY_MILLIS);
        if (device.onlineDay() != today
                && sql.update(
                                "UPDATE device_heard SET online_day = ?, online_day_ms = 0 WHERE id = ?"
                                        + " AND online_day = ?",
                                today,
                                device.heard(),
                                device.onlineDay())
                        == 1
                && device.onlineDayMs() > 0) {
            // A new day: the day before goes to the history the 30-day uptime is read from, and what is older leaves
            // it.
            sql.update(
                    "INSERT INTO device_online(device_id, on_day, online_ms) VALUES (?, ?, ?)",
                    device.id(),
                    device.onlineDay(),
                    device.onlineDayMs());
            sql.update(
                    "DELETE FROM device_online WHERE device_id = ? AND on_day <= ?", device.id(), today - UPTIME_DAYS);
        }
        if (heartbeat.homeProof() != null) {
            keepHomeProof(device.id(), heartbeat.homeProof());
        }
        sql.update(
                "UPDATE device_heard SET last_seen = ?, online_day_ms = online_day_ms + ?, metered_ms = ?,"
                        + " metered_until = ? WHERE id = ?",
                now,
                online,
                meter.millis(),
                meter.until(),
                device.heard());
        if (!Objects.equals(meter.rental(), device.meter().rental())) {
            // Once a rental: the meter starts running for another one.
            sql.update("UPDATE device SET metered_rental = ? WHERE id = ?", meter.rental(), device.id());
        }
        if (!heartbeat.state().name().equals(device.state())
                || !heartbeat.prices().equals(device.prices())
                || heartbeat.offered() != device.offered()
                || !heartbeat.templates().equals(device.templates())
                || !heartbeat.region().equals(device.region())) {
            sql.update(
                    "UPDATE device SET state = ?, price_per_hour = ?, price_per_gb = ?, offered = ?, templates = ?,"
                            + " region = ? WHERE id = ?",
                    heartbeat.state().name(),
                    heartbeat.prices().perHour(),
                    heartbeat.prices().perGb(),
                    heartbeat.offered(),
                    Template.join(heartbeat.templates()),
                    heartbeat.region(),
                    device.id());
        }
    }

    /**
     * Keeps a device's signature naming this hub its home, in the caller's transaction, when it verifies with the
     * device's registered key; one that does not is logged and dropped (the heartbeat itself stands).
     */
    private void keepHomeProof(String deviceId, byte[] signature) {
        String home = hubKey;
        if (home == null) {
            return;
        }
        Sql.Row r = sql.one("SELECT public_key, home_proof FROM device WHERE id = ?", deviceId)
                .orElseThrow();
        if (Arrays.equals(signature, r.bytes("home_proof"))) {
            return;
        }
        if (new HomeProof(r.bytes("public_key"), signature).names(deviceId, home)) {
            sql.update("UPDATE device SET home_proof = ? WHERE id = ?", signature, deviceId);
        } else {
            LOG.warn("device {} sent a home proof that does not name this hub with its key: dropped", deviceId);
        }
    }

    /** Whether a device last heard from at {@code lastSeen} counts as online now. */
    public boolean isOnline(long lastSeen) {
        return now() - lastSeen <= config.offlineAfter().toMillis();
    }

    /** The device's SSH session is now at the gateway {@code node} (HOST:PORT): renters on other hubs are relayed there. */
    public void tunnelOpened(String deviceId, String node) {
        sql.transaction(() -> sql.update("UPDATE device SET tunnel_at = ? WHERE id = ?", node, deviceId));
    }

    /** The device's SSH session at {@code node} ended; a newer one at another hub stays recorded. */
    public void tunnelClosed(String deviceId, String node) {
        sql.transaction(
                () -> sql.update("UPDATE device SET tunnel_at = NULL WHERE id = ? AND tunnel_at = ?", deviceId, node));
    }

    /**
     * Marks a device that sent an impossible usage report, with why: its listing shows it to owners and renters, and
     * the metrics count it. The mark stays (the latest reason) until the operator clears it.
     */
    public void flag(String deviceId, String reason) {
        String said = reason.length() > 200 ? reason.substring(0, 197) + "..." : reason;
        sql.transaction(
                () -> sql.update("UPDATE device SET flagged = ?, flagged_at = ? WHERE id = ?", said, now(), deviceId));
        LOG.warn("device {} flagged: {}", deviceId, said);
    }

    /** Whether {@code key} (raw Ed25519) is a registered device's. */
    public boolean isDeviceKey(byte[] key) {
        return sql.transaction(() -> sql.one("SELECT id FROM device WHERE public_key = ?", (Object) key)
                .isPresent());
    }

    public Optional<byte[]> devicePublicKey(String deviceId) {
        return sql.transaction(() ->
                sql.one("SELECT public_key FROM device WHERE id = ?", deviceId).map(r -> r.bytes(1)));
    }

    /** Refuses, in the caller's transaction, {@code what} unless signed with {@code deviceId}'s registered key. */
    public void requireKey(String deviceId, byte[] signerKey, String what) {
        byte[] registered = sql.one("SELECT public_key FROM device WHERE id = ?", deviceId)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub"))
                .bytes(1);
        if (!Arrays.equals(registered, signerKey)) {
            throw new RefusedException(ErrorCode.UNAUTHORIZED, what + " must be signed with the key of " + deviceId);
        }
    }

    /** The loopback ports this device may listen on at the SSH gateway: its rental's sshd and web server. */
    public Set<Integer> tunnelPorts(String deviceId) {
        return sql.transaction(() -> sql.one("SELECT tunnel_port, http_tunnel_port FROM device WHERE id = ?", deviceId)
                .map(r -> r.isNull(2) ? Set.of((int) r.integer(1)) : Set.of((int) r.integer(1), (int) r.integer(2)))
                .orElse(Set.of()));
    }

    /** Devices online and registered, and rentals per state, for the metrics. */
    public record Counts(long devicesOnline, long devicesRegistered, long devicesFlagged, Map<String, Long> rentals) {}

    public Counts counts() {
        return sql.transaction(() -> {
            long online = sql.one(
                            "SELECT COUNT(*) FROM device_heard WHERE last_seen >= ?",
                            now() - config.offlineAfter().toMillis())
                    .orElseThrow()
                    .integer(1);
            long registered =
                    sql.one("SELECT COUNT(*) FROM device").orElseThrow().integer(1);
            long flagged = sql.one("SELECT COUNT(*) FROM device WHERE flagged IS NOT NULL")
                    .orElseThrow()
                    .integer(1);
            Map<String, Long> rentals = new TreeMap<>();
            for (Sql.Row r : sql.all("SELECT state, COUNT(*) FROM rental GROUP BY state")) {
                rentals.put(r.text(1), r.integer(2));
            }
            return new Counts(online, registered, flagged, rentals);
        });
    }

    private int reserveHttpPort(String deviceId) {
        int port = freeTunnelPort();
        sql.update("UPDATE device SET http_tunnel_port = ? WHERE id = ?", port, deviceId);
        return port;
    }

    /**
     * A tunnel port no device holds: the one after the highest held (two index lookups), or once the
     * range is used up to its end, the lowest one free, as below the ports held of a widened range (a
     * scan of all devices).
     */
    private int freeTunnelPort() {
        Sql.Row highest = sql.one("SELECT MAX(tunnel_port), MAX(http_tunnel_port) FROM device")
                .orElseThrow();
        long top = Math.max(highest.isNull(1) ? 0 : highest.integer(1), highest.isNull(2) ? 0 : highest.integer(2));
        if (top < config.tunnelPortMin()) {
            return config.tunnelPortMin();
        }
        if (top < config.tunnelPortMax()) {
            return (int) top + 1;
        }
        Set<Long> used = new HashSet<>();
        for (Sql.Row r : sql.all("SELECT tunnel_port, http_tunnel_port FROM device")) {
            used.add(r.integer(1));
            if (!r.isNull(2)) {
                used.add(r.integer(2));
            }
        }
        for (int port = config.tunnelPortMin(); port <= config.tunnelPortMax(); port++) {
            if (!used.contains((long) port)) {
                return port;
            }
        }
        throw new RefusedException(ErrorCode.CONFLICT, "this hub has no tunnel port left for another device");
    }

    private long now() {
        return clock.millis();
    }
}
