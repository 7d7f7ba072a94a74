package io.edgerent.hub;

import static io.edgerent.protocol.RentalView.ACTIVE;
import static io.edgerent.protocol.RentalView.ENDED;
import static io.edgerent.protocol.RentalView.ENDING;
import static io.edgerent.protocol.RentalView.PREPARING;

import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalOrder;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The hub's record of owners' tokens, devices and rentals, and every transition between their states.
 * Each public method is one database transaction; listeners hear about a change after it committed.
 */
final class Registry {
    /** The renter template every device offers in the walking skeleton. */
    static final String BASE_TEMPLATE = "base";

    private final Connection db;
    private final HubConfig config;
    private final Clock clock;
    private final List<Consumer<String>> assignmentListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> closedRentalListeners = new CopyOnWriteArrayList<>();

    Registry(Database database, HubConfig config, Clock clock) {
        this.db = database.connection();
        this.config = config;
        this.clock = clock;
    }

    /** Called with a device id whenever what that device should be doing changed. */
    void onAssignmentChanged(Consumer<String> listener) {
        assignmentListeners.add(listener);
    }

    /** Called with a rental name when renters must lose access to it (ending, ended). */
    void onRentalClosed(Consumer<String> listener) {
        closedRentalListeners.add(listener);
    }

    /**
     * Accepts a verified signed request once: a second one with the same signature is a replay.
     * Requests older than the freshness window are refused by their signature check, so only
     * those within it are remembered.
     */
    synchronized void acceptOnce(byte[] signature, long issuedAt) {
        byte[] digest = sha256(signature);
        inTransaction(() -> {
            update("DELETE FROM seen_request WHERE issued_at < ?", now() - 2 * SignedRequest.MAX_AGE_MILLIS);
            if (one("SELECT issued_at FROM seen_request WHERE digest = ?", digest).isPresent()) {
                throw new SignedRequest.SignatureException("this request was already accepted once (replayed)");
            }
            update("INSERT INTO seen_request(digest, issued_at) VALUES (?, ?)", digest, issuedAt);
        });
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    synchronized String issueToken(String owner) {
        String token = Names.newSecret();
        inTransaction(() -> update("INSERT INTO owner_token(token, owner, created_at) VALUES (?, ?, ?)", token, owner, now()));
        return token;
    }

    synchronized RegistrationAccepted register(Registration registration, int sshPort, String hubHostKey) {
        RegistrationAccepted accepted = inTransaction(() -> {
            Row token = one("SELECT owner, used_by FROM owner_token WHERE token = ?", registration.token())
                    .orElseThrow(() -> new RefusedException(ErrorCode.FORBIDDEN, "registration token is unknown"));
            Optional<Row> sameKey = one("SELECT id, tunnel_port FROM device WHERE public_key = ?", registration.publicKey());
            if (token.text(2) != null) {
                // The same device retrying after a lost answer gets the same answer; anyone else is refused.
                if (sameKey.isPresent() && sameKey.get().text(1).equals(token.text(2))) {
                    return new RegistrationAccepted(token.text(2), sshPort, (int) sameKey.get().integer(2), hubHostKey);
                }
                throw new RefusedException(ErrorCode.FORBIDDEN, "registration token was already used");
            }
            if (sameKey.isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT,
                        "this device key is already registered as " + sameKey.get().text(1));
            }
            int port = freeTunnelPort();
            String id = Names.newDeviceId();
            long now = now();
            update("INSERT INTO device(id, owner, public_key, tunnel_port, facts, state, assignment_version, last_seen,"
                    + " registered_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)", id, token.text(1), registration.publicKey(),
                    port, Cbor.encode(registration.facts().toCbor()), DeviceState.LISTED.name(), now, now);
            update("UPDATE owner_token SET used_by = ?, used_at = ? WHERE token = ?", id, now, registration.token());
            return new RegistrationAccepted(id, sshPort, port, hubHostKey);
        });
        assignmentListeners.forEach(l -> l.accept(accepted.deviceId()));
        return accepted;
    }

    /** Records that the device is alive and in which state, settles rental states it confirms, returns its assignment. */
    synchronized Assignment heartbeat(String deviceId, Heartbeat heartbeat) {
        List<String> closed = new ArrayList<>();
        Assignment assignment = inTransaction(() -> {
            Row device = device(deviceId);
            update("UPDATE device SET last_seen = ?, state = ? WHERE id = ?", now(), heartbeat.state().name(), deviceId);
            String current = device.text(2);
            if (current != null) {
                String state = one("SELECT state FROM rental WHERE name = ?", current).orElseThrow().text(1);
                if (state.equals(PREPARING) && heartbeat.state() == DeviceState.RENTED && current.equals(heartbeat.rental())) {
                    update("UPDATE rental SET state = ? WHERE name = ?", ACTIVE, current);
                } else if (state.equals(ENDING) && heartbeat.state() == DeviceState.LISTED) {
                    update("UPDATE rental SET state = ?, ended_at = ? WHERE name = ?", ENDED, now(), current);
                    update("UPDATE device SET current_rental = NULL, assignment_version = assignment_version + 1 WHERE id = ?",
                            deviceId);
                    closed.add(current);
                }
            }
            return assignmentOf(deviceId);
        });
        closed.forEach(name -> closedRentalListeners.forEach(l -> l.accept(name)));
        return assignment;
    }

    synchronized Assignment assignment(String deviceId) {
        return inTransaction(() -> assignmentOf(deviceId));
    }

    synchronized List<Listing> listings() {
        return inTransaction(() -> {
            List<Listing> listings = new ArrayList<>();
            for (Row r : all("SELECT id, owner, state, last_seen, facts FROM device ORDER BY registered_at")) {
                HardwareFacts facts = HardwareFacts.from(Cbor.decodeMap(r.bytes(5)));
                listings.add(new Listing(r.text(1), r.text(2), DeviceState.valueOf(r.text(3)), isOnline(r.integer(4)), facts));
            }
            return listings;
        });
    }

    synchronized RentalView rent(byte[] renterKey, RentRequest request, String sshKey) {
        RentalView rental = inTransaction(() -> {
            Row device = device(request.deviceId());
            if (device.text(2) != null) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is rented");
            }
            if (!isOnline(device.integer(4))) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is offline");
            }
            if (!device.text(3).equals(DeviceState.LISTED.name())) {
                throw new RefusedException(ErrorCode.CONFLICT,
                        "device " + request.deviceId() + " is not ready for a rental (" + device.text(3).toLowerCase() + ")");
            }
            String name = Names.newRentalName();
            long endsAt = now() + request.hours() * 3_600_000L;
            update("INSERT INTO rental(name, device_id, renter_key, ssh_key, template, state, created_at, ends_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", name, request.deviceId(), renterKey, sshKey, BASE_TEMPLATE,
                    PREPARING, now(), endsAt);
            update("UPDATE device SET current_rental = ?, assignment_version = assignment_version + 1 WHERE id = ?", name,
                    request.deviceId());
            return new RentalView(name, request.deviceId(), PREPARING, endsAt, config.sshPort());
        });
        assignmentListeners.forEach(l -> l.accept(rental.deviceId()));
        return rental;
    }

    synchronized List<RentalView> rentalsOf(byte[] renterKey) {
        return inTransaction(() -> all("SELECT name, device_id, state, ends_at FROM rental WHERE renter_key = ? ORDER BY created_at",
                renterKey).stream().map(this::view).toList());
    }

    /** Ends a rental of this renter; ending one that is already ending or ended changes nothing. */
    synchronized RentalView end(byte[] renterKey, String name) {
        Row rental = inTransaction(() -> one("SELECT name, device_id, state, ends_at, renter_key FROM rental WHERE name = ?", name)
                .filter(r -> Arrays.equals(r.bytes(5), renterKey))
                // Another renter's rental is reported as unknown, so names cannot be probed.
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "you have no rental " + name)));
        beginEnding(List.of(name));
        return rentalView(name);
    }

    /** Starts ending every rental whose time is up; returns how many. */
    synchronized int expire() {
        List<String> due = inTransaction(() -> all("SELECT name FROM rental WHERE state IN (?, ?) AND ends_at <= ?",
                PREPARING, ACTIVE, now()).stream().map(r -> r.text(1)).toList());
        beginEnding(due);
        return due.size();
    }

    synchronized Optional<byte[]> devicePublicKey(String deviceId) {
        return inTransaction(() -> one("SELECT public_key FROM device WHERE id = ?", deviceId).map(r -> r.bytes(1)));
    }

    synchronized Optional<Integer> tunnelPort(String deviceId) {
        return inTransaction(() -> one("SELECT tunnel_port FROM device WHERE id = ?", deviceId).map(r -> (int) r.integer(1)));
    }

    /** How a renter reaches an active rental: the key allowed in, and the device's tunnel port on this hub. */
    record RentalAccess(String sshKey, int tunnelPort) {}

    synchronized Optional<RentalAccess> activeRental(String name) {
        return inTransaction(() -> one("SELECT r.ssh_key, d.tunnel_port FROM rental r JOIN device d ON d.id = r.device_id"
                + " WHERE r.name = ? AND r.state = ?", name, ACTIVE).map(r -> new RentalAccess(r.text(1), (int) r.integer(2))));
    }

    synchronized List<String> deviceIds() {
        return inTransaction(() -> all("SELECT id FROM device").stream().map(r -> r.text(1)).toList());
    }

    private void beginEnding(List<String> names) {
        List<String> devices = inTransaction(() -> {
            List<String> changed = new ArrayList<>();
            for (String name : names) {
                Row r = one("SELECT device_id, state FROM rental WHERE name = ?", name).orElseThrow();
                if (r.text(2).equals(PREPARING) || r.text(2).equals(ACTIVE)) {
                    update("UPDATE rental SET state = ? WHERE name = ?", ENDING, name);
                    update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", r.text(1));
                    changed.add(r.text(1));
                }
            }
            return changed;
        });
        names.forEach(name -> closedRentalListeners.forEach(l -> l.accept(name)));
        devices.forEach(id -> assignmentListeners.forEach(l -> l.accept(id)));
    }

    private RentalView rentalView(String name) {
        return inTransaction(() -> view(one("SELECT name, device_id, state, ends_at FROM rental WHERE name = ?", name).orElseThrow()));
    }

    private RentalView view(Row r) {
        return new RentalView(r.text(1), r.text(2), r.text(3), r.integer(4), config.sshPort());
    }

    private Assignment assignmentOf(String deviceId) throws SQLException {
        Row device = device(deviceId);
        long version = device.integer(5);
        String current = device.text(2);
        if (current == null) {
            return new Assignment(version, null);
        }
        Row rental = one("SELECT state, ssh_key, template, ends_at FROM rental WHERE name = ?", current).orElseThrow();
        if (rental.text(1).equals(ENDING) || rental.text(1).equals(ENDED)) {
            return new Assignment(version, null);
        }
        return new Assignment(version, new RentalOrder(current, rental.text(3), List.of(rental.text(2)), rental.integer(4)));
    }

    /** Columns: 1 id, 2 current_rental, 3 state, 4 last_seen, 5 assignment_version. */
    private Row device(String deviceId) throws SQLException {
        return one("SELECT id, current_rental, state, last_seen, assignment_version FROM device WHERE id = ?", deviceId)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub"));
    }

    private boolean isOnline(long lastSeen) {
        return now() - lastSeen <= config.offlineAfter().toMillis();
    }

    private int freeTunnelPort() throws SQLException {
        List<Long> used = all("SELECT tunnel_port FROM device").stream().map(r -> r.integer(1)).toList();
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

    // --- JDBC plumbing: small enough that a query reads as its SQL. ---

    interface Work<T> {
        T run() throws SQLException;
    }

    interface VoidWork {
        void run() throws SQLException;
    }

    private void inTransaction(VoidWork work) {
        inTransaction(() -> {
            work.run();
            return null;
        });
    }

    private <T> T inTransaction(Work<T> work) {
        try {
            db.setAutoCommit(false);
            try {
                T result = work.run();
                db.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database: " + e.getMessage(), e);
        }
    }

    private void update(String sql, Object... args) throws SQLException {
        try (PreparedStatement s = prepare(sql, args)) {
            s.executeUpdate();
        }
    }

    private Optional<Row> one(String sql, Object... args) throws SQLException {
        List<Row> rows = all(sql, args);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private List<Row> all(String sql, Object... args) throws SQLException {
        try (PreparedStatement s = prepare(sql, args); ResultSet rs = s.executeQuery()) {
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

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement s = db.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            s.setObject(i + 1, args[i]);
        }
        return s;
    }

    /** One result row; columns are numbered from 1 as in JDBC. */
    private record Row(Object[] values) {
        String text(int column) {
            return (String) values[column - 1];
        }

        long integer(int column) {
            return ((Number) values[column - 1]).longValue();
        }

        byte[] bytes(int column) {
            return (byte[]) values[column - 1];
        }
    }
}
