package io.edgerent.hub.rental;

import static io.edgerent.protocol.RentalView.ACTIVE;
import static io.edgerent.protocol.RentalView.ENDED;
import static io.edgerent.protocol.RentalView.ENDING;
import static io.edgerent.protocol.RentalView.PREPARING;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.identity.Sha256;
import io.edgerent.hub.payment.Channels;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Earnings;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.RentalOrder;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.Statement;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import io.edgerent.protocol.WipeRecord;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The hub's record of owners' tokens, devices, rentals and their payment channels, and every
 * transition between their states. Each public method is one database transaction; listeners hear
 * about a change after it committed.
 */
public final class Registry {

    private final Sql sql;
    private final HubConfig config;
    private final Clock clock;
    private final Ledger ledger;
    private final Channels channels;
    private final List<AssignmentListener> assignmentListeners = new CopyOnWriteArrayList<>();
    private final List<ClosedRentalListener> closedRentalListeners = new CopyOnWriteArrayList<>();
    /** The SSH gateway's and HTTP router's ports renters are told: configured, then the ones really bound. */
    private volatile int sshPort;
    private volatile int httpPort;

    private static final long DAY_MILLIS = 86_400_000L;
    /** The listings' uptime covers this many days, today included. */
    public static final int UPTIME_DAYS = 30;

    public Registry(Sql sql, HubConfig config, Clock clock) {
        this.sql = sql;
        this.config = config;
        this.clock = clock;
        this.ledger = new Ledger(sql, clock);
        this.channels = new Channels(sql, ledger, config, clock);
        this.sshPort = config.sshPort();
        this.httpPort = config.httpPort();
    }

    /** The ports the SSH gateway and the HTTP router listen on, once bound (a configured 0 picks any). */
    public void servedAt(int sshPort, int httpPort) {
        this.sshPort = sshPort;
        this.httpPort = httpPort;
    }

    /** The HTTP router's port: rentals' web servers and the hub's own pages. */
    public int httpPort() {
        return httpPort;
    }

    public Ledger ledger() {
        return ledger;
    }

    /** Called with a device id whenever what that device should be doing changed. */
    public void onAssignmentChanged(AssignmentListener listener) {
        assignmentListeners.add(listener);
    }

    /** Called with a rental name when renters must lose access to it (paused, ending, ended). */
    public void onRentalClosed(ClosedRentalListener listener) {
        closedRentalListeners.add(listener);
    }

    /** What a transaction changed that listeners must hear about once it committed. */
    private final class Changes {
        final Set<String> devices = new LinkedHashSet<>();
        final Set<String> closedRentals = new LinkedHashSet<>();

        /** Runs {@code work} in a transaction (or the caller's); this hub's listeners and the other hubs hear once it committed. */
        <T> T commit(Sql.Work<T> work) {
            return sql.transaction(() -> {
                T r = work.run();
                for (String id : devices) {
                    sql.tellOtherHubs(EVENTS, ASSIGNMENT_CHANGED + id);
                }
                for (String name : closedRentals) {
                    sql.tellOtherHubs(EVENTS, RENTAL_CLOSED + name);
                }
                sql.afterCommit(() -> {
                    devices.forEach(id -> assignmentListeners.forEach(l -> l.assignmentChanged(id)));
                    closedRentals.forEach(name -> closedRentalListeners.forEach(l -> l.rentalClosed(name)));
                });
                return r;
            });
        }
    }

    /** The channel hubs sharing a database tell each other about changes on, and what they say. */
    public static final String EVENTS = "edgerent_events";
    private static final String ASSIGNMENT_CHANGED = "assignment ";
    private static final String RENTAL_CLOSED = "closed ";

    /** What another hub on this database said a change of its was: this hub's listeners hear it too. */
    public void heardFromOtherHub(String event) {
        if (event.startsWith(ASSIGNMENT_CHANGED)) {
            String id = event.substring(ASSIGNMENT_CHANGED.length());
            assignmentListeners.forEach(l -> l.assignmentChanged(id));
        } else if (event.startsWith(RENTAL_CLOSED)) {
            String name = event.substring(RENTAL_CLOSED.length());
            closedRentalListeners.forEach(l -> l.rentalClosed(name));
        }
    }

    /**
     * Records the key this hub shows. On a database several hubs share, it must be the key every one
     * of them shows (devices pin one key and may talk to any of them), so a hub with another key is
     * refused; a hub alone on its database may have a new key (its devices then refuse it until their
     * owners pin the new one).
     */
    public void claimIdentity(String hubKey, boolean shared) {
        sql.transaction(() -> {
            Optional<Sql.Row> known = sql.one("SELECT hub_key FROM hub_identity WHERE id = 1");
            if (known.isEmpty()) {
                sql.update("INSERT INTO hub_identity(id, hub_key) VALUES (1, ?)", hubKey);
            } else if (!shared) {
                sql.update("UPDATE hub_identity SET hub_key = ? WHERE id = 1", hubKey);
            } else if (!known.get().text(1).equals(hubKey)) {
                throw new IllegalStateException("this hub's key (" + hubKey + ") is not the key of the other hubs on this database ("
                        + known.get().text(1) + "): devices pin one key, so every hub of a fleet needs the same; copy"
                        + " ssh_host_ecdsa_key from the first hub's data directory into this one's");
            }
        });
    }

    /** The device's SSH session is now at the gateway {@code node} (HOST:PORT): renters on other hubs are relayed there. */
    public void tunnelOpened(String deviceId, String node) {
        sql.transaction(() -> sql.update("UPDATE device SET tunnel_at = ? WHERE id = ?", node, deviceId));
    }

    /** The device's SSH session at {@code node} ended; a newer one at another hub stays recorded. */
    public void tunnelClosed(String deviceId, String node) {
        sql.transaction(() -> sql.update("UPDATE device SET tunnel_at = NULL WHERE id = ? AND tunnel_at = ?", deviceId, node));
    }

    /**
     * Accepts a verified signed request once: a second one with the same signature is a replay.
     * Requests older than the freshness window are refused by their signature check, so only
     * those within it are remembered.
     */
    public void acceptOnce(byte[] signature, long issuedAt) {
        byte[] digest = Sha256.of(signature);
        sql.transaction(() -> {
            sql.update("DELETE FROM seen_request WHERE issued_at < ?", now() - 2 * SignedRequest.MAX_AGE_MILLIS);
            if (sql.one("SELECT issued_at FROM seen_request WHERE digest = ?", digest).isPresent()) {
                throw new SignedRequest.SignatureException("this request was already accepted once (replayed)");
            }
            sql.update("INSERT INTO seen_request(digest, issued_at) VALUES (?, ?)", digest, issuedAt);
        });
    }

    public String issueToken(String owner) {
        String token = Names.newSecret();
        sql.transaction(() -> sql.update("INSERT INTO owner_token(token, owner, created_at) VALUES (?, ?, ?)", token, owner, now()));
        return token;
    }

    /** A one-time invitation to sign up on the web pages as {@code owner}'s account (it sees that owner's dashboard). */
    public String issueOwnerInvite(String owner) {
        String code = Names.newSecret();
        sql.transaction(() -> sql.update("INSERT INTO owner_invite(code, owner, created_at) VALUES (?, ?, ?)", code, owner, now()));
        return code;
    }

    public RegistrationAccepted register(Registration registration, int sshPort, String hubHostKey) {
        Changes changes = new Changes();
        return changes.commit(() -> {
            Sql.Row token = sql.one("SELECT owner, used_by FROM owner_token WHERE token = ?", registration.token())
                    .orElseThrow(() -> new RefusedException(ErrorCode.FORBIDDEN, "registration token is unknown"));
            Optional<Sql.Row> sameKey = sql.one("SELECT id, tunnel_port, http_tunnel_port FROM device WHERE public_key = ?",
                    registration.publicKey());
            if (token.text(2) != null) {
                // The same device retrying after a lost answer gets the same answer; anyone else is refused.
                if (sameKey.isPresent() && sameKey.get().text(1).equals(token.text(2))) {
                    Sql.Row known = sameKey.get();
                    int httpPort = known.isNull(3) ? reserveHttpPort(known.text(1)) : (int) known.integer(3);
                    return new RegistrationAccepted(token.text(2), sshPort, (int) known.integer(2), httpPort, hubHostKey);
                }
                throw new RefusedException(ErrorCode.FORBIDDEN, "registration token was already used");
            }
            if (sameKey.isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT, "this device key is already registered as " + sameKey.get().text(1));
            }
            int port = freeTunnelPort();
            String id = Names.newDeviceId();
            long now = now();
            sql.update("INSERT INTO device(id, owner, public_key, tunnel_port, facts, state, assignment_version, last_seen,"
                    + " registered_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)", id, token.text(1), registration.publicKey(), port,
                    Cbor.encode(registration.facts().toCbor()), DeviceState.LISTED.name(), now, now);
            int httpPort = reserveHttpPort(id);
            sql.update("UPDATE owner_token SET used_by = ?, used_at = ? WHERE token = ?", id, now, registration.token());
            changes.devices.add(id);
            return new RegistrationAccepted(id, sshPort, port, httpPort, hubHostKey);
        });
    }

    /**
     * Records that the device is alive, in which state and at which prices; settles rental states
     * it confirms, meters the rental it serves; returns its assignment.
     */
    public Assignment heartbeat(String deviceId, Heartbeat heartbeat) {
        Changes changes = new Changes();
        return changes.commit(() -> {
            Sql.Row device = device(deviceId);
            long now = now();
            long gap = now - device.integer(4);
            long online = gap > 0 && gap <= config.offlineAfter().toMillis() ? gap : 0;
            long today = Math.floorDiv(now, DAY_MILLIS);
            if (device.integer(11) != today && sql.update("UPDATE device SET online_day = ?, online_day_ms = 0 WHERE id = ?"
                    + " AND online_day = ?", today, deviceId, device.integer(11)) == 1 && device.integer(12) > 0) {
                // A new day: the day before goes to the history the 30-day uptime is read from, and what is older leaves it.
                sql.update("INSERT INTO device_online(device_id, on_day, online_ms) VALUES (?, ?, ?)", deviceId, device.integer(11),
                        device.integer(12));
                sql.update("DELETE FROM device_online WHERE device_id = ? AND on_day <= ?", deviceId, today - UPTIME_DAYS);
            }
            sql.update("UPDATE device SET last_seen = ?, state = ?, price_per_hour = ?, price_per_gb = ?, offered = ?, templates = ?,"
                    + " region = ?, online_day_ms = online_day_ms + ? WHERE id = ?", now, heartbeat.state().name(),
                    heartbeat.prices().perHour(), heartbeat.prices().perGb(), heartbeat.offered(), Template.join(heartbeat.templates()),
                    heartbeat.region(), online, deviceId);
            String current = device.text(2);
            if (current != null) {
                Channels.Channel channel = channels.channel(current);
                String state = channel.rentalState();
                if (state.equals(PREPARING) && heartbeat.state() == DeviceState.RENTED && current.equals(heartbeat.rental())) {
                    sql.update("UPDATE rental SET state = ? WHERE name = ?", ACTIVE, current);
                    state = ACTIVE;
                }
                if (state.equals(ACTIVE) && heartbeat.state() == DeviceState.RENTED) {
                    apply(current, deviceId, channels.meter(channel), changes);
                } else if (state.equals(ENDING) && heartbeat.state() == DeviceState.LISTED) {
                    sql.update("UPDATE rental SET state = ?, ended_at = ? WHERE name = ?", ENDED, now(), current);
                    sql.update("UPDATE device SET current_rental = NULL, assignment_version = assignment_version + 1 WHERE id = ?",
                            deviceId);
                    changes.closedRentals.add(current);
                }
            }
            return assignmentOf(deviceId);
        });
    }

    public Assignment assignment(String deviceId) {
        return sql.transaction(() -> assignmentOf(deviceId));
    }

    public List<Listing> listings() {
        return sql.transaction(() -> listings("offered", List.of()));
    }

    /** The listings of {@code owner}'s devices, offered or not. */
    public List<Listing> listingsOf(String owner) {
        return sql.transaction(() -> listings("owner = ?", List.of(owner)));
    }

    private List<Listing> listings(String where, List<Object> arguments) throws SQLException {
        long now = now();
        long today = Math.floorDiv(now, DAY_MILLIS);
        Map<String, Long> earlier = new HashMap<>();
        for (Sql.Row r : sql.all("SELECT device_id, SUM(online_ms) FROM device_online WHERE on_day >= ? GROUP BY device_id",
                today - UPTIME_DAYS + 1)) {
            earlier.put(r.text(1), r.integer(2));
        }
        List<Listing> listings = new ArrayList<>();
        for (Sql.Row r : sql.all("SELECT id, owner, state, last_seen, facts, price_per_hour, price_per_gb, templates, region,"
                + " online_day, online_day_ms, registered_at FROM device WHERE " + where + " ORDER BY registered_at",
                arguments.toArray())) {
            HardwareFacts facts = HardwareFacts.from(Cbor.decodeMap(r.bytes(5)));
            long onlineMs = earlier.getOrDefault(r.text(1), 0L) + (r.integer(10) > today - UPTIME_DAYS ? r.integer(11) : 0);
            long window = Math.min(UPTIME_DAYS * DAY_MILLIS, now - r.integer(12));
            int uptime = window <= 0 ? 1000 : (int) Math.min(1000, onlineMs * 1000 / window);
            listings.add(new Listing(r.text(1), r.text(2), DeviceState.valueOf(r.text(3)), isOnline(r.integer(4)), facts,
                    new Prices(r.integer(6), r.integer(7)), Template.parseList(r.text(8)), null, false, r.text(9), uptime));
        }
        return listings;
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

    private RentalView rent(byte[] renterKey, RentRequest request, String sshKey, String name, String fundedBy, byte[] voucherKey) {
        Changes changes = new Changes();
        return changes.commit(() -> {
            if (fundedBy != null && sql.one("SELECT name FROM given_up_rental WHERE name = ?", name).isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT, "rental " + name + " came too late: hub " + fundedBy
                        + " asked about it before it arrived, and gave it up");
            }
            Sql.Row device = device(request.deviceId());
            if (device.text(2) != null) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is rented");
            }
            if (!isOnline(device.integer(4))) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is offline");
            }
            if (!device.bool(9)) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " is not offered for rent now"
                        + " (its owner switched its listing off, or it is outside its available hours)");
            }
            if (!device.text(3).equals(DeviceState.LISTED.name())) {
                throw new RefusedException(ErrorCode.CONFLICT,
                        "device " + request.deviceId() + " is not ready for a rental (" + device.text(3).toLowerCase() + ")");
            }
            Set<Template> offered = Template.parseList(device.text(10));
            if (!offered.contains(request.template())) {
                throw new RefusedException(ErrorCode.CONFLICT, "device " + request.deviceId() + " does not offer the "
                        + request.template().id() + " template (it offers " + Template.join(offered) + ")");
            }
            if ((request.template() == Template.FILES) != (request.passwordSha256() != null)) {
                throw new RefusedException(ErrorCode.UNPROCESSABLE, request.template() == Template.FILES
                        ? "the files template needs the SHA-256 of its password (edgerent rent makes one)"
                        : "only the files template takes a password");
            }
            Prices prices = new Prices(device.integer(6), device.integer(7));
            if (prices.perHour() > request.maxPricePerHour()) {
                throw new RefusedException(ErrorCode.PRECONDITION_FAILED, "device " + request.deviceId() + " costs "
                        + prices.perHour() + " per hour, above your maximum of " + request.maxPricePerHour());
            }
            if (prices.perHour() > 0 && request.deposit() < prices.forSeconds(60)) {
                throw new RefusedException(ErrorCode.PRECONDITION_FAILED, "a deposit of " + request.deposit()
                        + " does not cover one minute at " + prices.perHour() + " per hour");
            }
            long balance = fundedBy != null ? Long.MAX_VALUE : ledger.balance(Ledger.renterWallet(renterKey));
            if (balance < request.deposit()) {
                throw new RefusedException(ErrorCode.PRECONDITION_FAILED, "your wallet holds " + balance
                        + ", the deposit is " + request.deposit() + " (edgerent wallet shows it)");
            }
            if (sql.one("SELECT name FROM rental WHERE name = ?", name).isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT, "rental name " + name + " is taken on this hub");
            }
            long endsAt = now() + request.hours() * 3_600_000L;
            sql.update("INSERT INTO rental(name, device_id, renter_key, ssh_key, template, password_sha256, state, created_at,"
                    + " ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", name, request.deviceId(), renterKey, sshKey,
                    request.template().id(), request.passwordSha256(), PREPARING, now(), endsAt);
            sql.update("UPDATE device SET current_rental = ?, assignment_version = assignment_version + 1 WHERE id = ?", name,
                    request.deviceId());
            channels.open(name, renterKey, voucherKey, device.text(8), request.deviceId(), request.deposit(), prices, fundedBy);
            changes.devices.add(request.deviceId());
            return rentalView(name);
        });
    }

    public List<RentalView> rentalsOf(byte[] renterKey) {
        return sql.transaction(() -> sql.all("SELECT name, device_id, state, ends_at, http_bytes_out, template FROM rental"
                + " WHERE renter_key = ?"
                + " ORDER BY created_at", renterKey).stream().map(this::view).toList());
    }

    /** Ends a rental of this renter and settles its channel; ending one already ended changes nothing. */
    public RentalView end(byte[] renterKey, String name) {
        Changes changes = new Changes();
        return changes.commit(() -> {
            requireRenter(renterKey, name);
            beginEnding(name, changes);
            return rentalView(name);
        });
    }

    /** More hours for an active rental, and more deposit in its escrow. */
    public RentalView extend(byte[] renterKey, String name, int hours, long deposit, String reference) {
        Changes changes = new Changes();
        return changes.commit(() -> {
            Sql.Row rental = requireRenter(renterKey, name);
            if (!rental.text(3).equals(PREPARING) && !rental.text(3).equals(ACTIVE)) {
                throw new RefusedException(ErrorCode.CONFLICT, "rental " + name + " is " + rental.text(3) + " and cannot be extended");
            }
            sql.update("UPDATE rental SET ends_at = ends_at + ? WHERE name = ?", hours * 3_600_000L, name);
            // The order's end time changed: a new version, which the device's notification announces.
            sql.update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", rental.text(2));
            if (deposit > 0) {
                channels.topUp(name, reference, deposit);
            }
            apply(name, rental.text(2), channels.enforce(name), changes);
            changes.devices.add(rental.text(2));
            return rentalView(name);
        });
    }

    /**
     * Accepts one renter's voucher and applies the payment rules; answers the channel's status.
     * It takes the same path as the voucher desk's batches, as a batch of one.
     */
    public ChannelStatus acceptVoucher(Voucher voucher) {
        Channels.requireSignature(voucher, voucherKeyOf(voucher.channel()).orElseThrow(
                () -> new RefusedException(ErrorCode.NOT_FOUND, "no channel " + voucher.channel() + " on this hub")));
        return acceptVerifiedVoucher(voucher);
    }

    /** Carries out a voucher's outcome; the channel read again only when the rules changed the rental. */
    private ChannelStatus accept(Channels.Outcome outcome, Changes changes) throws SQLException {
        String rental = outcome.channel().rental();
        apply(rental, outcome.channel().deviceId(), outcome.decision(), changes);
        return outcome.decision() == Channels.Decision.NONE ? outcome.channel().status() : channels.status(rental);
    }

    /** Accepts a voucher whose signature was checked against its channel's key. */
    public ChannelStatus acceptVerifiedVoucher(Voucher voucher) {
        Changes changes = new Changes();
        return changes.commit(() -> accept(channels.acceptVerifiedVoucher(voucher), changes));
    }

    /**
     * How a rental the linked hub {@code hub} passed on stands, for that hub: the renter's view of it,
     * and once settled, the deposit it held and what went back to {@code hub}.
     */
    public byte[] passedSettlement(String rental, String hub) {
        Optional<byte[]> answer = sql.transaction(() -> {
            if (channels.fundedBy(rental).filter(hub::equals).isEmpty()) {
                // Not here for that hub, and from now on never: a rent request under the name arriving late is refused.
                // One signed longer ago than the freshness window is refused by its signature check: those names are let go.
                sql.update("DELETE FROM given_up_rental WHERE given_up_at < ?", now() - 2 * SignedRequest.MAX_AGE_MILLIS);
                if (sql.one("SELECT name FROM rental WHERE name = ? UNION SELECT name FROM given_up_rental WHERE name = ?", rental,
                        rental).isEmpty()) {
                    sql.update("INSERT INTO given_up_rental(name, hub, given_up_at) VALUES (?, ?, ?)", rental, hub, now());
                }
                return Optional.<byte[]>empty();
            }
            ChannelStatus c = channels.status(rental);
            return Optional.of(Cbor.encode(Map.of("settled", c.settled(), "deposit", c.deposit(), "refund", c.refund(), "view",
                    rentalView(rental).encode())));
        });
        return answer.orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no rental " + rental + " passed on by hub " + hub
                + ", and none will open under that name"));
    }

    /** The key that signs a channel's vouchers; it never changes, so callers may keep it. */
    public Optional<byte[]> voucherKeyOf(String rental) {
        return sql.transaction(() -> channels.voucherKey(rental));
    }

    public ChannelStatus channel(byte[] renterKey, String name) {
        return sql.transaction(() -> {
            requireRenter(renterKey, name);
            return channels.status(name);
        });
    }

    /** Records a device's usage report; its caller checked it is signed with the device's registered key. */
    public ChannelStatus recordUsage(String deviceId, UsageReport usage) {
        Changes changes = new Changes();
        return changes.commit(() -> {
            Channels.Outcome outcome = channels.recordUsage(deviceId, usage);
            apply(usage.rental(), deviceId, outcome.decision(), changes);
            return outcome.decision() == Channels.Decision.NONE ? outcome.channel().status() : channels.status(usage.rental());
        });
    }

    /** The rentals whose time is up: the index {@code rental_due} answers it. */
    public static final String DUE_RENTALS = "SELECT name FROM rental WHERE state IN (?, ?) AND ends_at <= ?";

    /** Starts ending every rental whose time is up, settling each; returns how many. */
    public int expire() {
        Changes changes = new Changes();
        return changes.commit(() -> {
            List<String> due = sql.all(DUE_RENTALS, PREPARING, ACTIVE, now())
                    .stream().map(r -> r.text(1)).toList();
            for (String name : due) {
                beginEnding(name, changes);
            }
            return due.size();
        });
    }

    public Statement walletOf(byte[] renterKey) {
        return ledger.statement(Ledger.renterWallet(renterKey));
    }

    public Earnings earnings(String owner) {
        return sql.transaction(() -> {
            List<Earnings.PerDevice> devices = sql.all("SELECT device_id, SUM(owner_share), COUNT(*) FROM channel"
                    + " WHERE owner = ? AND state = ? GROUP BY device_id ORDER BY device_id", owner, Channels.SETTLED).stream()
                    .map(r -> new Earnings.PerDevice(r.text(1), r.integer(2), r.integer(3))).toList();
            return new Earnings(owner, ledger.balance(Ledger.ownerEarnings(owner)), devices);
        });
    }

    /** A rental of one of an owner's devices that has not ended, as the owner's dashboard shows it. */
    public record OwnerRental(String name, String deviceId, String state, long createdAt, long endsAt, long paid, long due, boolean paused) {}

    public List<OwnerRental> currentRentalsOf(String owner) {
        return sql.transaction(() -> {
            List<OwnerRental> rentals = new ArrayList<>();
            for (Sql.Row r : sql.all("SELECT r.name, r.device_id, r.state, r.created_at, r.ends_at FROM rental r JOIN channel c"
                    + " ON c.rental = r.name WHERE c.owner = ? AND r.state <> ? ORDER BY r.created_at", owner, ENDED)) {
                ChannelStatus c = channels.status(r.text(1));
                rentals.add(new OwnerRental(r.text(1), r.text(2), r.text(3), r.integer(4), r.integer(5), c.paid(), c.due(),
                        c.paused()));
            }
            return rentals;
        });
    }

    /** What came into an owner's earnings on one day (days counted from 1970-01-01, UTC). */
    public record DayIncome(long day, long amount) {}

    /** An owner's income per day over the last {@code days} days, today included; days without income left out. */
    public List<DayIncome> incomeByDay(String owner, int days) {
        long since = (Math.floorDiv(now(), DAY_MILLIS) - days + 1) * DAY_MILLIS;
        // The day's length is written out: PostgreSQL groups by an expression only when it is the same text.
        return sql.transaction(() -> sql.all("SELECT t.at / 86400000, SUM(e.amount) FROM ledger_entry e JOIN ledger_tx t"
                + " ON t.id = e.tx_id WHERE e.account = ? AND e.amount > 0 AND t.at >= ? GROUP BY t.at / 86400000 ORDER BY 1",
                Ledger.ownerEarnings(owner), since).stream().map(r -> new DayIncome(r.integer(1), r.integer(2))).toList());
    }

    /** The latest wipe records of an owner's devices, newest first. */
    public List<WipeRecord> wipesOf(String owner, int limit) {
        return sql.transaction(() -> sql.all("SELECT w.record FROM wipe w JOIN device d ON d.id = w.device_id WHERE d.owner = ?"
                + " ORDER BY w.received_at DESC LIMIT ?", owner, limit).stream().map(r -> WipeRecord.decode(r.bytes(1))).toList());
    }

    /** Devices online and registered, and rentals per state, for the metrics. */
    public record Counts(long devicesOnline, long devicesRegistered, Map<String, Long> rentals) {}

    public Counts counts() {
        return sql.transaction(() -> {
            long online = sql.one("SELECT COUNT(*) FROM device WHERE last_seen >= ?", now() - config.offlineAfter().toMillis())
                    .orElseThrow().integer(1);
            long registered = sql.one("SELECT COUNT(*) FROM device").orElseThrow().integer(1);
            Map<String, Long> rentals = new java.util.TreeMap<>();
            for (Sql.Row r : sql.all("SELECT state, COUNT(*) FROM rental GROUP BY state")) {
                rentals.put(r.text(1), r.integer(2));
            }
            return new Counts(online, registered, rentals);
        });
    }

    /** Whether {@code key} (raw Ed25519) is a registered device's. */
    public boolean isDeviceKey(byte[] key) {
        return sql.transaction(() -> sql.one("SELECT id FROM device WHERE public_key = ?", (Object) key).isPresent());
    }

    public Optional<byte[]> devicePublicKey(String deviceId) {
        return sql.transaction(() -> sql.one("SELECT public_key FROM device WHERE id = ?", deviceId).map(r -> r.bytes(1)));
    }

    /** The loopback ports this device may listen on at the SSH gateway: its rental's sshd and web server. */
    public Set<Integer> tunnelPorts(String deviceId) {
        return sql.transaction(() -> sql.one("SELECT tunnel_port, http_tunnel_port FROM device WHERE id = ?", deviceId)
                .map(r -> r.isNull(2) ? Set.of((int) r.integer(1)) : Set.of((int) r.integer(1), (int) r.integer(2)))
                .orElse(Set.of()));
    }

    /**
     * Where the HTTP router sends a rental's requests, and whether it may: {@code state} is the
     * rental's, {@code paused} whether payment stopped it, {@code online} whether its device was heard
     * from lately, {@code httpTunnelPort} 0 when the device has no HTTP forward.
     */
    public record HttpRoute(String state, boolean paused, boolean online, int httpTunnelPort, String tunnelAt) {}

    public Optional<HttpRoute> httpRoute(String rental) {
        return sql.transaction(() -> sql.one("SELECT r.state, c.paused_since, d.last_seen, d.http_tunnel_port, d.tunnel_at FROM rental r"
                + " JOIN device d ON d.id = r.device_id LEFT JOIN channel c ON c.rental = r.name WHERE r.name = ?", rental)
                .map(r -> new HttpRoute(r.text(1), !r.isNull(2), isOnline(r.integer(3)), r.isNull(4) ? 0 : (int) r.integer(4),
                        r.text(5))));
    }

    /** Adds what the HTTP router sent out for each rental since the last call. */
    public void addHttpBytesOut(Map<String, Long> bytesByRental) {
        sql.transaction(() -> {
            for (Map.Entry<String, Long> e : bytesByRental.entrySet()) {
                sql.update("UPDATE rental SET http_bytes_out = http_bytes_out + ? WHERE name = ?", e.getValue(), e.getKey());
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
        return sql.transaction(() -> sql.one("SELECT r.ssh_key, d.tunnel_port, d.tunnel_at FROM rental r JOIN device d"
                + " ON d.id = r.device_id LEFT JOIN channel c ON c.rental = r.name WHERE r.name = ? AND r.state = ?"
                + " AND c.paused_since IS NULL", name, ACTIVE).map(r -> new RentalAccess(r.text(1), (int) r.integer(2), r.text(3))));
    }

    /** Carries out what the payment rules decided for a rental. */
    private void apply(String rental, String deviceId, Channels.Decision decision, Changes changes) throws SQLException {
        switch (decision) {
            case PAUSE, RESUME -> {
                sql.update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", deviceId);
                changes.devices.add(deviceId);
                if (decision == Channels.Decision.PAUSE) {
                    changes.closedRentals.add(rental);
                }
            }
            case END_UNPAID, END_EXHAUSTED -> beginEnding(rental, changes);
            case NONE -> { }
        }
    }

    /** Ends a rental that is preparing or active: the device is told to wipe, the channel settles, renters lose access. */
    private void beginEnding(String name, Changes changes) throws SQLException {
        Sql.Row r = sql.one("SELECT device_id, state FROM rental WHERE name = ?", name).orElseThrow();
        if (r.text(2).equals(PREPARING) || r.text(2).equals(ACTIVE)) {
            sql.update("UPDATE rental SET state = ? WHERE name = ?", ENDING, name);
            sql.update("UPDATE device SET assignment_version = assignment_version + 1 WHERE id = ?", r.text(1));
            channels.settle(name);
            changes.devices.add(r.text(1));
        }
        changes.closedRentals.add(name);
    }

    /**
     * Stores the record of a device's wipe of a rental it served that has ended or is ending. The
     * first record stands: sending it again (the device did not see the answer) changes nothing.
     */
    public void recordWipe(String deviceId, byte[] signerKey, WipeRecord wipe) {
        sql.transaction(() -> {
            requireDeviceKey(deviceId, signerKey, "wipe records");
            Sql.Row rental = sql.one("SELECT device_id, state FROM rental WHERE name = ?", wipe.rental()).orElseThrow(
                    () -> new RefusedException(ErrorCode.NOT_FOUND, "no rental " + wipe.rental() + " on this hub"));
            if (!rental.text(1).equals(deviceId)) {
                throw new RefusedException(ErrorCode.FORBIDDEN, "rental " + wipe.rental() + " was not served by " + deviceId);
            }
            if (!rental.text(2).equals(ENDING) && !rental.text(2).equals(ENDED)) {
                throw new RefusedException(ErrorCode.CONFLICT, "rental " + wipe.rental() + " has not ended");
            }
            if (sql.one("SELECT rental FROM wipe WHERE rental = ?", wipe.rental()).isEmpty()) {
                sql.update("INSERT INTO wipe(rental, device_id, verified, record, received_at) VALUES (?, ?, ?, ?, ?)", wipe.rental(),
                        deviceId, wipe.verified(), wipe.encode(), now());
            }
            return null;
        });
    }

    /** The wipe record of one of the renter's rentals. */
    public WipeRecord wipeOf(byte[] renterKey, String name) {
        return sql.transaction(() -> {
            requireRenter(renterKey, name);
            return sql.one("SELECT record FROM wipe WHERE rental = ?", name).map(r -> WipeRecord.decode(r.bytes(1))).orElseThrow(
                    () -> new RefusedException(ErrorCode.NOT_FOUND, "no wipe record for " + name + " yet: the device sends it"
                            + " once the rental has ended and its storage is erased"));
        });
    }

    private void requireDeviceKey(String deviceId, byte[] signerKey, String what) throws SQLException {
        byte[] registered = sql.one("SELECT public_key FROM device WHERE id = ?", deviceId).orElseThrow(
                () -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub")).bytes(1);
        if (!Arrays.equals(registered, signerKey)) {
            throw new RefusedException(ErrorCode.UNAUTHORIZED, what + " must be signed with the key of " + deviceId);
        }
    }

    private Sql.Row requireRenter(byte[] renterKey, String name) throws SQLException {
        return sql.one("SELECT name, device_id, state, ends_at, renter_key FROM rental WHERE name = ?", name)
                .filter(r -> Arrays.equals(r.bytes(5), renterKey))
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "you have no rental " + name));
    }

    private RentalView rentalView(String name) throws SQLException {
        return view(sql.one("SELECT name, device_id, state, ends_at, http_bytes_out, template FROM rental WHERE name = ?", name)
                .orElseThrow());
    }

    private RentalView view(Sql.Row r) {
        return new RentalView(r.text(1), r.text(2), r.text(3), r.integer(4), sshPort, config.httpUrl(r.text(1), httpPort),
                r.integer(5), Template.parse(r.text(6)));
    }

    private Assignment assignmentOf(String deviceId) throws SQLException {
        Sql.Row a = sql.one("SELECT d.assignment_version, d.current_rental, r.state, r.ssh_key, r.template, r.ends_at,"
                + " r.password_sha256, c.paused_since FROM device d LEFT JOIN rental r ON r.name = d.current_rental"
                + " LEFT JOIN channel c ON c.rental = d.current_rental WHERE d.id = ?", deviceId)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub"));
        String current = a.text(2);
        if (current == null || a.text(3).equals(ENDING) || a.text(3).equals(ENDED)) {
            return new Assignment(a.integer(1), null);
        }
        return new Assignment(a.integer(1), new RentalOrder(current, Template.parse(a.text(5)), List.of(a.text(4)), a.integer(6),
                !a.isNull(8), a.text(7)));
    }

    /**
     * Columns: 1 id, 2 current_rental, 3 state, 4 last_seen, 5 assignment_version, 6 price_per_hour, 7 price_per_gb, 8 owner,
     * 9 offered, 10 templates.
     */
    private Sql.Row device(String deviceId) throws SQLException {
        return sql.one("SELECT id, current_rental, state, last_seen, assignment_version, price_per_hour, price_per_gb, owner,"
                + " offered, templates, online_day, online_day_ms FROM device WHERE id = ?", deviceId)
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "no device " + deviceId + " on this hub"));
    }

    private boolean isOnline(long lastSeen) {
        return now() - lastSeen <= config.offlineAfter().toMillis();
    }

    private int reserveHttpPort(String deviceId) throws SQLException {
        int port = freeTunnelPort();
        sql.update("UPDATE device SET http_tunnel_port = ? WHERE id = ?", port, deviceId);
        return port;
    }

    /**
     * A tunnel port no device holds: the one after the highest held (two index lookups), or once the
     * range is used up to its end, the lowest one free, as below the ports held of a widened range (a
     * scan of all devices).
     */
    private int freeTunnelPort() throws SQLException {
        Sql.Row highest = sql.one("SELECT MAX(tunnel_port), MAX(http_tunnel_port) FROM device").orElseThrow();
        long top = Math.max(highest.isNull(1) ? 0 : highest.integer(1), highest.isNull(2) ? 0 : highest.integer(2));
        if (top < config.tunnelPortMin()) {
            return config.tunnelPortMin();
        }
        if (top < config.tunnelPortMax()) {
            return (int) top + 1;
        }
        Set<Long> used = new java.util.HashSet<>();
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
