package io.edgerent.hub.rental;

import static io.edgerent.protocol.RentalView.ACTIVE;
import static io.edgerent.protocol.RentalView.ENDED;
import static io.edgerent.protocol.RentalView.ENDING;
import static io.edgerent.protocol.RentalView.PREPARING;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.device.DeviceRow;
import io.edgerent.hub.device.Devices;
import io.edgerent.hub.events.Events;
import io.edgerent.hub.payment.Channel;
import io.edgerent.hub.payment.Channels;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalOrder;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Template;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Rentals and every transition of their states: rent, serve (as the device's heartbeats confirm), pay,
 * pause, extend, end, expire. Each public method is one database transaction; listeners hear about a change
 * after it committed.
 */
public final class Rentals {
    /** The rentals whose time is up: the index {@code rental_due} answers it. */
    public static final String DUE_RENTALS = "SELECT name FROM rental WHERE state IN (?, ?) AND ends_at <= ?";

    private final Sql sql;
    private final HubConfig config;
    private final Clock clock;
    private final Devices devices;
    private final Ledger ledger;
    private final Channels channels;
    private final Events events;
    /** The SSH gateway's and HTTP router's ports renters are told: configured, then the ones really bound. */
    private volatile int sshPort;

    private volatile int httpPort;

    private volatile int httpsPort;

    public Rentals(
            Sql sql, HubConfig config, Clock clock, Devices devices, Ledger ledger, Channels channels, Events events) {
        this.sql = sql;
        this.config = config;
        this.clock = clock;
        this.devices = devices;
        this.ledger = ledger;
        this.channels = channels;
        this.events = events;
        this.sshPort = config.sshPort();
        this.httpPort = config.httpPort();
    }

    /** The ports the SSH gateway and the HTTP router listen on, once bound (a configured 0 picks any). */
    public void servedAt(int sshPort, int httpPort, int httpsPort) {
        this.sshPort = sshPort;
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
    }

    /** The HTTP router's port: rentals' web servers and the hub's own pages. */
    public int httpPort() {
        return httpPort;
    }

    /** The HTTP router's HTTPS port, where sign-in links lead (0 when it serves none). */
    public int httpsPort() {
        return httpsPort;
    }

    /**
     * Records that the device is alive, in which state and at which prices; settles rental states
     * it confirms, meters the rental it serves; returns its assignment.
     */
    public Assignment heartbeat(String deviceId, Heartbeat heartbeat) {
        Events.Changes changes = events.changes();
        return changes.commit(() -> {
            // One read: the device, the channel and rental it serves, and what its assignment is made of.
            Sql.Row row = heartbeatRow(deviceId);
            DeviceRow device = DeviceRow.of(row);
            String current = device.currentRental();
            Channel channel = current == null ? null : Channel.in(row);
            String state = channel == null ? null : channel.rentalState();
            boolean assignmentRead = true;
            if (PREPARING.equals(state)
                    && channel.vouched()
                    && heartbeat.state() == DeviceState.RENTED
                    && current.equals(heartbeat.rental())) {
                sql.update("UPDATE rental SET state = ? WHERE name = ?", ACTIVE, current);
                state = ACTIVE;
                assignmentRead = false;
            }
            if (ACTIVE.equals(state) && heartbeat.state() == DeviceState.RENTED) {
                Channels.Metered metered = channels.meter(channel, device.meter());
                // Written before the decision is applied: an end settles the channel, reading its billed time.
                devices.heard(device, heartbeat, metered.meter());
                apply(current, deviceId, metered.decision(), changes);
                assignmentRead &= metered.decision() == Channels.Decision.NONE;
            } else {
                devices.heard(device, heartbeat, device.meter());
                if (ENDING.equals(state) && heartbeat.state() == DeviceState.LISTED) {
                    sql.update("UPDATE rental SET state = ?, ended_at = ? WHERE name = ?", ENDED, now(), current);
                    sql.update(
                            "UPDATE device SET current_rental = NULL, assignment_version = assignment_version + 1 WHERE id = ?",
                            deviceId);
                    changes.rentalClosed(current);
                    assignmentRead = false;
                }
            }
            // What the heartbeat changed of the assignment is read again; otherwise it is as read above.
            return assignmentRead ? assignmentOf(row) : assignmentOf(deviceId);
        });
    }

    public Assignment assignment(String deviceId) {
        return sql.transaction(() -> assignmentOf(deviceId));
    }

    /** Rents a free device within the renter's price cap, opening its channel with the deposit from the renter's wallet. */
    public RentalView rent(byte[] renterKey, RentRequest request, String sshKey) {
        return rent(renterKey, request, sshKey, Names.newRentalName(), null);
    }

    /**
     * Rents a free device as {@link #rent(byte[], RentRequest, String)} does, under the name {@code name};
     * with {@code fundedBy}, the linked hub that passed the renter's request on funds the deposit.
     */
    public RentalView rent(byte[] renterKey, RentRequest request, String sshKey, String name, String fundedBy) {
        return rent(renterKey, request, sshKey, name, fundedBy, null);
    }

    /**
     * Rents a free device for a renter of the web pages: the channel's vouchers are signed with
     * {@code voucherKey}, the key the page made in the browser, not with the renter's.
     */
    public RentalView rentFromPage(byte[] renterKey, RentRequest request, String sshKey, byte[] voucherKey) {
        return rent(renterKey, request, sshKey, Names.newRentalName(), null, voucherKey);
    }

    private RentalView rent(
            byte[] renterKey, RentRequest request, String sshKey, String name, String fundedBy, byte[] voucherKey) {
        Events.Changes changes = events.changes();
        return changes.commit(() -> {
            if (fundedBy != null
                    && sql.one("SELECT name FROM given_up_rental WHERE name = ?", name)
                            .isPresent()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "rental " + name + " came too late: hub " + fundedBy
                                + " asked about it before it arrived, and gave it up");
            }
            DeviceRow device = devices.row(request.deviceId());
            if (device.currentRental() != null) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is rented");
            }
            if (!devices.isOnline(device.lastSeen())) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is offline");
            }
            if (!device.offered()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "device " + request.deviceId() + " is not offered for rent now"
                                + " (its owner switched its listing off, or it is outside its available hours)");
            }
            if (!device.state().equals(DeviceState.LISTED.name())) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "device " + request.deviceId() + " is not ready for a rental ("
                                + device.state().toLowerCase() + ")");
            }
            Set<Template> offered = device.templates();
            if (!offered.contains(request.template())) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "device " + request.deviceId() + " does not offer the "
                                + request.template().id() + " template (it offers " + Template.join(offered) + ")");
            }
            if ((request.template() == Template.FILES) != (request.passwordSha256() != null)) {
                throw new RefusedException(
                        ErrorCode.UNPROCESSABLE,
                        request.template() == Template.FILES
                                ? "the files template needs the SHA-256 of its password (edgerent rent makes one)"
                                : "only the files template takes a password");
            }
            Prices prices = device.prices();
            if (prices.perHour() > request.maxPricePerHour()) {
                throw new RefusedException(
                        ErrorCode.PRECONDITION_FAILED,
                        "device " + request.deviceId() + " costs " + prices.perHour()
                                + " per hour, above your maximum of " + request.maxPricePerHour());
            }
            if (prices.perHour() > 0 && request.deposit() < prices.forSeconds(60)) {
                throw new RefusedException(
                        ErrorCode.PRECONDITION_FAILED,
                        "a deposit of " + request.deposit() + " does not cover one minute at " + prices.perHour()
                                + " per hour");
            }
            long balance = fundedBy != null ? Long.MAX_VALUE : ledger.balance(Ledger.renterWallet(renterKey));
            if (balance < request.deposit()) {
                throw new RefusedException(
                        ErrorCode.PRECONDITION_FAILED,
                        "your wallet holds " + balance + ", the deposit is " + request.deposit()
                                + " (edgerent wallet shows it)");
            }
            if (sql.one("SELECT name FROM rental WHERE name = ?", name).isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT, "rental name " + name + " is taken on this hub");
            }
            long endsAt = now() + request.hours() * 3_600_000L;
            sql.update(
                    "INSERT INTO rental(name, device_id, renter_key, ssh_key, template, password_sha256, state, created_at,"
                            + " ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    name,
                    request.deviceId(),
                    renterKey,
                    sshKey,
                    request.template().id(),
                    request.passwordSha256(),
                    PREPARING,
                    now(),
                    endsAt);
            // The device is told once the first voucher is stored (Channels.Decision.SERVE): nothing to announce yet.
            sql.update("UPDATE device SET current_rental = ? WHERE id = ?", name, request.deviceId());
            channels.open(
                    name,
                    renterKey,
                    voucherKey,
                    device.owner(),
                    request.deviceId(),
                    request.deposit(),
                    request.maxEgressBytes(),
                    prices,
                    fundedBy);
            return rentalView(name);
        });
    }

    public List<RentalView> rentalsOf(byte[] renterKey) {
        return sql.transaction(() -> sql
                .all("SELECT " + RentalRow.COLUMNS + " FROM rental WHERE renter_key = ? ORDER BY created_at", renterKey)
                .stream()
                .map(r -> view(RentalRow.of(r)))
                .toList());
    }

    /** Ends a rental of this renter and settles its channel; ending one already ended changes nothing. */
    public RentalView end(byte[] renterKey, String name) {
        Events.Changes changes = events.changes();
        return changes.commit(() -> {
            requireRenter(renterKey, name);
            beginEnding(name, changes);
            return rentalView(name);
        });
    }

    /** More hours for an active rental, and more deposit in its escrow. */
    public RentalView extend(byte[] renterKey, String name, int hours, long deposit, String reference) {
        Events.Changes changes = events.changes();
        return changes.commit(() -> {
            RentalRow rental = requireRenter(renterKey, name);
            if (!rental.state().equals(PREPARING) && !rental.state().equals(ACTIVE)) {
                throw new RefusedException(
                        ErrorCode.CONFLICT, "rental " + name + " is " + rental.state() + " and cannot be extended");
            }
            sql.update("UPDATE rental SET ends_at = ends_at + ? WHERE name = ?", hours * 3_600_000L, name);
            // The order's end time changed: a new version, which the device's notification announces.
            sql.update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", rental.deviceId());
            if (deposit > 0) {
                channels.topUp(name, reference, deposit);
            }
            apply(name, rental.deviceId(), channels.enforce(name), changes);
            changes.assignmentChanged(rental.deviceId());
            return rentalView(name);
        });
    }

    /**
     * Starts ending every rental whose time is up, and every one that got no voucher within the payment grace,
     * settling each; returns how many.
     */
    public int expire() {
        Events.Changes changes = events.changes();
        return changes.commit(() -> {
            List<String> due = sql.all(DUE_RENTALS, PREPARING, ACTIVE, now()).stream()
                    .map(r -> r.text(1))
                    .toList();
            for (String name : due) {
                beginEnding(name, changes);
            }
            List<Sql.Row> unpaid = sql.all(
                    "SELECT r.name, r.device_id FROM rental r JOIN channel c ON c.rental = r.name"
                            + " WHERE r.state = ? AND c.last_sequence < 0 AND r.created_at < ?",
                    PREPARING,
                    now() - config.paymentGrace().toMillis());
            for (Sql.Row r : unpaid) {
                apply(r.text("name"), r.text("device_id"), channels.enforce(r.text("name")), changes);
            }
            return due.size() + unpaid.size();
        });
    }

    /** Carries out what the payment rules decided for a rental. */
    void apply(String rental, String deviceId, Channels.Decision decision, Events.Changes changes) {
        switch (decision) {
            case SERVE, PAUSE, RESUME -> {
                sql.update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", deviceId);
                changes.assignmentChanged(deviceId);
                if (decision == Channels.Decision.PAUSE) {
                    changes.rentalClosed(rental);
                }
            }
            case END_UNPAID, END_EXHAUSTED -> beginEnding(rental, changes);
            case NONE -> {}
        }
    }

    /** Ends a rental that is preparing or active: the device is told to wipe, the channel settles, renters lose access. */
    private void beginEnding(String name, Events.Changes changes) {
        Sql.Row r = sql.one("SELECT device_id, state FROM rental WHERE name = ?", name)
                .orElseThrow();
        String deviceId = r.text("device_id");
        String state = r.text("state");
        if (state.equals(PREPARING) || state.equals(ACTIVE)) {
            sql.update("UPDATE rental SET state = ? WHERE name = ?", ENDING, name);
            sql.update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", deviceId);
            channels.settle(name);
            changes.assignmentChanged(deviceId);
        }
        changes.rentalClosed(name);
    }

    /** The rental {@code name} if it is this renter's, in the caller's transaction; anyone else's is "you have none". */
    RentalRow requireRenter(byte[] renterKey, String name) {
        return sql.one("SELECT " + RentalRow.COLUMNS + " FROM rental WHERE name = ?", name)
                .map(RentalRow::of)
                .filter(r -> Arrays.equals(r.renterKey(), renterKey))
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "you have no rental " + name));
    }

    RentalView rentalView(String name) {
        return view(sql.one("SELECT " + RentalRow.COLUMNS + " FROM rental WHERE name = ?", name)
                .map(RentalRow::of)
                .orElseThrow());
    }

    private RentalView view(RentalRow r) {
        return new RentalView(
                r.name(),
                r.deviceId(),
                r.state(),
                r.endsAt(),
                sshPort,
                config.httpUrl(r.name(), httpPort),
                r.httpBytesOut(),
                r.template());
    }

    /**
     * A heartbeat's one read: the device ({@link DeviceRow#COLUMNS}, first), the channel of the rental it serves
     * ({@link Channel#COLUMNS}, from its column {@code rental}), and the rest of what {@link #assignmentOf(Sql.Row)}
     * reads.
     */
    private static final String HEARTBEAT = "SELECT " + DeviceRow.COLUMNS + ", " + Channel.COLUMNS + ","
            + " r.ssh_key, r.template, r.ends_at, r.password_sha256 FROM device d"
            + " JOIN device_heard h ON h.id = d.heard LEFT JOIN rental r ON r.name = d.current_rental"
            + " LEFT JOIN channel c ON c.rental = d.current_rental LEFT JOIN channel_usage u ON u.id = c.usage_id"
            + " WHERE d.id = ?";

    /** The device's row as {@link #HEARTBEAT} reads it; a device this hub does not know is refused. */
    private Sql.Row heartbeatRow(String deviceId) {
        return sql.one(HEARTBEAT, deviceId)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub"));
    }

    private Assignment assignmentOf(String deviceId) {
        return assignmentOf(heartbeatRow(deviceId));
    }

    /** The assignment in a row with a device's assignment_version and current_rental, and its rental's and channel's. */
    private static Assignment assignmentOf(Sql.Row a) {
        String current = a.text("current_rental");
        long version = a.integer("assignment_version");
        // A rental is served once its first voucher is stored: until then the device is told nothing.
        if (current == null
                || a.text("rental_state").equals(ENDING)
                || a.text("rental_state").equals(ENDED)
                || a.integer("last_sequence") < 0) {
            return new Assignment(version, null);
        }
        return new Assignment(
                version,
                new RentalOrder(
                        current,
                        Template.parse(a.text("template")),
                        List.of(a.text("ssh_key")),
                        a.integer("ends_at"),
                        !a.isNull("paused_since"),
                        a.text("password_sha256")));
    }

    private long now() {
        return clock.millis();
    }
}
