package io.edgerent.hub.federation;

import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.threads.DaemonThreads;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedListings;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.SshKeys;
import java.net.URI;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hubs linked with this one. Each hub keeps its own database, key, devices and renters; an operator
 * links a hub by its address and key, and the hubs talk CoAP over DTLS with their own keys.
 *
 * <p>Every {@code refresh} this hub fetches each linked hub's listings, signed by that hub and valid
 * for a while ({@link #LISTINGS_VALID_FOR}), and shows them on its market until they expire: a
 * linked hub that stops answering is shown as stale, then drops off. A renter here renting a linked
 * hub's device has the signed rent request passed on to the device's home hub, which opens and
 * settles the channel there, funded by this hub: the deposit moves from the renter's wallet here
 * into the clearing account of that hub ({@link Ledger#clearing}). The home hub says, when asked,
 * what it settled; the rest comes back to the renter. Until then the passed rental's record here
 * (table {@code passed_rental}) survives restarts, so nothing is lost in between.
 */
public final class Federation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Federation.class);
    /** How long this hub's own signed listings stay valid, in rounds of {@code refresh}. */
    static final int LISTINGS_VALID_FOR = 6;
    /** A linked hub not heard from for this many rounds is shown as stale. */
    static final int STALE_AFTER = 2;
    /** Beyond a call's timeout, for the clocks of hubs sharing a database: when a rent call has surely given up. */
    private static final long CALL_MARGIN_MILLIS = 5_000;

    static final String OPENING = "opening";
    static final String OPEN = "open";
    static final String SETTLED = "settled";
    /** The renter requests a linked hub passes on for a rental it passed there. */
    public static final Set<String> RELAYED = Set.of(
            Paths.RENTALS + "/" + Paths.MINE,
            Paths.RENTALS + "/" + Paths.END,
            Paths.RENTALS + "/" + Paths.CHANNEL,
            Paths.RENTALS + "/" + Paths.EXTEND,
            Paths.RENTALS + "/" + Paths.WIPE);

    /** A hub linked with this one: the name this hub's operator gave it, where it answers, its key. */
    public record LinkedHub(String name, URI address, String hubKey) {
        public PublicKey key() {
            return SshKeys.ecdsaP256Key(hubKey);
        }

        /** Where renters reach its SSH gateway: the host it answers CoAP at. */
        String sshHost() {
            return address.getHost();
        }
    }

    /** What a linked hub said: its listings, and when this hub heard them. */
    private record Heard(SignedListings listings, long at) {}

    /** A linked hub answered with an error: its request was refused there, for certain. */
    public static final class RefusedThere extends RefusedException {
        public RefusedThere(ErrorCode code, String message) {
            super(code, message);
        }
    }

    /** Linked hubs talk CoAP over DTLS: their addresses are coaps://HOST:PORT. */
    private static final String SCHEME = "coaps";

    private final Sql sql;
    private final Ledger ledger;
    private final Clock clock;
    private final KeyPair hubKeyPair;
    private final String hubKey;
    private final Duration refresh;
    private final long timeoutMillis;
    private final Map<String, Heard> heard = new ConcurrentHashMap<>();
    /** How requests reach the linked hubs (CoAP over DTLS, in the hub's CoAP adapter). */
    private final LinkedHubCalls linkedHubs;

    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private volatile List<LinkedHub> links;
    private final ScheduledExecutorService rounds =
            Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "federation"));
    private final ExecutorService calls = Executors.newCachedThreadPool(DaemonThreads.named("federation-call"));

    public Federation(
            Sql sql,
            Ledger ledger,
            Clock clock,
            KeyPair hubKeyPair,
            String hubKey,
            Duration refresh,
            LinkedHubCalls linkedHubs) {
        this.sql = sql;
        this.ledger = ledger;
        this.clock = clock;
        this.hubKeyPair = hubKeyPair;
        this.hubKey = hubKey;
        this.refresh = refresh;
        this.timeoutMillis = callTimeout(refresh).toMillis();
        this.linkedHubs = linkedHubs;
    }

    /** How long a call to a linked hub waits: below the 10 s a renter's command waits, so a linked hub not answering is told as such. */
    public static Duration callTimeout(Duration refresh) {
        return Duration.ofMillis(Math.max(2_000, Math.min(5_000, refresh.toMillis())));
    }

    public void start() {
        rounds.scheduleWithFixedDelay(this::round, 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        rounds.shutdownNow();
        calls.shutdownNow();
        linkedHubs.close();
    }

    // ---- links ------------------------------------------------------------------------------

    /**
     * The links as last read from the database: again by every round, and at once by a link or unlink
     * made here. One made through another hub on the same database shows here at the next round.
     */
    List<LinkedHub> links() {
        List<LinkedHub> known = links;
        return known != null ? known : reloadLinks();
    }

    private List<LinkedHub> reloadLinks() {
        List<LinkedHub> read =
                sql.transaction(() -> sql.all("SELECT name, address, hub_key FROM linked_hub ORDER BY name").stream()
                        .map(r -> new LinkedHub(r.text(1), URI.create(r.text(2)), r.text(3)))
                        .toList());
        links = read;
        return read;
    }

    Optional<LinkedHub> linked(String name) {
        return links().stream().filter(l -> l.name().equals(name)).findFirst();
    }

    /** The linked hub whose key authenticated a DTLS session, if any. */
    public Optional<LinkedHub> linkedByKey(PublicKey key) {
        return key == null
                ? Optional.empty()
                : links().stream().filter(l -> l.key().equals(key)).findFirst();
    }

    /** Links the hub at {@code address} (coaps://HOST:PORT) with key {@code key} (an OpenSSH line) as {@code name}. */
    public LinkedHub link(String name, String address, String key) {
        if (!Names.isHubName(name)) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "a linked hub's name is 1 to 32 of a-z, 0-9 and '-', starting with a" + " letter or digit; got '"
                            + name + "'");
        }
        URI uri;
        try {
            uri = new URI(address);
        } catch (java.net.URISyntaxException e) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, "the address is coaps://HOST:PORT; got '" + address + "'");
        }
        if (!SCHEME.equals(uri.getScheme())
                || uri.getHost() == null
                || uri.getPort() <= 0
                || uri.getRawPath() != null && !uri.getRawPath().isEmpty()
                || uri.getRawQuery() != null) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "the address is coaps://HOST:PORT (linked hubs talk DTLS); got '" + address + "'");
        }
        PublicKey parsed;
        try {
            parsed = SshKeys.ecdsaP256Key(key);
        } catch (RuntimeException e) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "the key is the other hub's 'hub key:' line (ecdsa-sha2-nistp256 AAAA...),"
                            + " as `edgerent hub` prints it: " + e.getMessage());
        }
        String line = SshKeys.ecdsaP256Line(parsed);
        if (line.equals(hubKey)) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "that is this hub's own key");
        }
        sql.transaction(() -> {
            if (sql.one("SELECT name FROM linked_hub WHERE name = ?", name).isPresent()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT, "a hub is already linked as " + name + " (remove it first)");
            }
            Optional<Sql.Row> sameKey = sql.one("SELECT name FROM linked_hub WHERE hub_key = ?", line);
            if (sameKey.isPresent()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "this key is already linked as " + sameKey.get().text(1));
            }
            sql.update(
                    "INSERT INTO linked_hub(name, address, hub_key, added_at) VALUES (?, ?, ?, ?)",
                    name,
                    uri.toString(),
                    line,
                    clock.millis());
        });
        reloadLinks();
        LOG.info("linked hub {} at {}", name, uri);
        rounds.execute(this::round);
        return new LinkedHub(name, uri, line);
    }

    /** Removes a link; refused while rentals passed to that hub are not settled. */
    public void unlink(String name) {
        sql.transaction(() -> {
            if (sql.one("SELECT name FROM linked_hub WHERE name = ?", name).isEmpty()) {
                throw new RefusedException(ErrorCode.NOT_FOUND, "no hub is linked as " + name);
            }
            long open = sql.one("SELECT COUNT(*) FROM passed_rental WHERE hub = ? AND state <> ?", name, SETTLED)
                    .orElseThrow()
                    .integer(1);
            if (open > 0) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        open + " rental(s) passed to " + name + " are not settled yet; remove the link after they are");
            }
            sql.update("DELETE FROM linked_hub WHERE name = ?", name);
        });
        reloadLinks();
        heard.remove(name);
        linkedHubs.forget(name);
        LOG.info("unlinked hub {}", name);
    }

    /** How a link looks to its operator: when it was last heard from, how many listings it gave. */
    public List<Map<String, Object>> linkStatus() {
        long now = clock.millis();
        List<Map<String, Object>> out = new ArrayList<>();
        for (LinkedHub l : links()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.name());
            m.put("address", l.address().toString());
            m.put("hubKey", l.hubKey());
            Heard h = heard.get(l.name());
            if (h != null) {
                m.put("heardAt", h.at());
                m.put("listings", (long) h.listings().listings().size());
            }
            m.put("stale", h == null || isStale(h, now));
            out.add(m);
        }
        return out;
    }

    /** For /metrics: linked hubs answering and stale, their listings shown, rentals passed on and not settled. */
    public record Counts(long answering, long stale, long listings, long unsettled) {}

    public Counts counts() {
        long now = clock.millis();
        List<LinkedHub> all = links();
        long answering = all.stream()
                .map(l -> heard.get(l.name()))
                .filter(h -> h != null && !isStale(h, now))
                .count();
        long unsettled = sql.transaction(() -> sql.one("SELECT COUNT(*) FROM passed_rental WHERE state <> ?", SETTLED)
                .orElseThrow()
                .integer(1));
        long listings = heard.values().stream()
                .filter(h -> h.listings().expiresAt() > now)
                .mapToLong(h -> h.listings().listings().size())
                .sum();
        return new Counts(answering, all.size() - answering, listings, unsettled);
    }

    // ---- listings -----------------------------------------------------------------------------

    /** This hub's own listings, signed for the hubs linked with it. */
    public byte[] signedListings(List<Listing> own) {
        long now = clock.millis();
        return new SignedListings(hubKey, now, now + LISTINGS_VALID_FOR * refresh.toMillis(), own).sign(hubKeyPair);
    }

    /** The linked hubs' devices not expired yet, each marked with its home and whether it is stale. */
    public List<Listing> listings() {
        long now = clock.millis();
        List<Listing> out = new ArrayList<>();
        heard.forEach((hub, h) -> {
            if (h.listings().expiresAt() > now) {
                boolean stale = isStale(h, now);
                h.listings().listings().forEach(l -> out.add(l.from(hub, stale)));
            }
        });
        return out;
    }

    /** The linked hub a device not of this hub is listed from (before its listings expire). */
    public Optional<LinkedHub> homeOf(String deviceId) {
        long now = clock.millis();
        for (var entry : heard.entrySet()) {
            Heard h = entry.getValue();
            if (h.listings().expiresAt() > now
                    && h.listings().listings().stream()
                            .anyMatch(l -> l.deviceId().equals(deviceId))) {
                return linked(entry.getKey());
            }
        }
        return Optional.empty();
    }

    private boolean isStale(Heard h, long now) {
        return now - h.at() > STALE_AFTER * refresh.toMillis();
    }

    // ---- passing renters' requests on ------------------------------------------------------------

    /**
     * Passes a renter's signed rent request on to the device's home hub, funding the deposit from
     * the renter's wallet here. Refusals there are refusals here, with the deposit back; when the home
     * hub does not answer, the rental may still open there, and the next rounds find out: the first
     * answer about it is final (a hub asked about a rental it does not have never opens it after).
     */
    public RentalView rent(SignedRequest signed, RentRequest request, LinkedHub home) {
        byte[] renterKey = signed.renterKey();
        String wallet = Ledger.renterWallet(renterKey);
        String name = sql.transaction(() -> {
            long balance = ledger.balance(wallet);
            if (balance < request.deposit()) {
                throw new RefusedException(
                        ErrorCode.PRECONDITION_FAILED,
                        "your wallet holds " + balance + ", the deposit is " + request.deposit()
                                + " (edgerent wallet shows it)");
            }
            String fresh = Names.newRentalName();
            while (sql.one(
                            "SELECT name FROM rental WHERE name = ? UNION SELECT name FROM passed_rental WHERE name = ?",
                            fresh,
                            fresh)
                    .isPresent()) {
                fresh = Names.newRentalName();
            }
            sql.update(
                    "INSERT INTO passed_rental(name, hub, renter_key, sent, state, requested_at) VALUES (?, ?, ?, ?, ?, ?)",
                    fresh,
                    home.name(),
                    renterKey,
                    request.deposit(),
                    OPENING,
                    clock.millis());
            ledger.transfer("passed:" + fresh, wallet, Ledger.clearing(home.name()), request.deposit());
            return fresh;
        });
        byte[] answer;
        try {
            answer = linkedHubs.call(
                    home,
                    Paths.FEDERATION + "/" + Paths.RENT,
                    Cbor.encode(Map.of("name", name, "request", signed.encode())));
        } catch (RefusedThere refused) {
            settle(name, 0, 0, null);
            throw refused;
        } catch (RefusedException unanswered) {
            throw new RefusedException(
                    unanswered.code(),
                    unanswered.getMessage() + "; rental " + name + " may still open there"
                            + " (edgerent rentals shows it); if it does not, your deposit comes back once hub "
                            + home.name()
                            + " answers (edgerent wallet shows it)");
        }
        RentalView view = RentalView.decode(answer).at(home.sshHost());
        if (!view.name().equals(name)) {
            throw new RefusedException(
                    ErrorCode.UNAVAILABLE, "hub " + home.name() + " answered with another rental than " + name);
        }
        sql.transaction(() -> {
            sql.update(
                    "UPDATE passed_rental SET state = ?, view = ? WHERE name = ? AND state = ?",
                    OPEN,
                    view.encode(),
                    name,
                    OPENING);
        });
        LOG.info("rental {} of device {} passed to hub {}", name, request.deviceId(), home.name());
        return view;
    }

    /** The linked hub a rental of this renter was passed to, if it was. */
    public Optional<LinkedHub> passedTo(byte[] renterKey, String rental) {
        return sql.transaction(() -> sql.one("SELECT hub, renter_key FROM passed_rental WHERE name = ?", rental))
                .filter(r -> Arrays.equals(r.bytes(2), renterKey))
                .flatMap(r -> linked(r.text(1)));
    }

    /** The linked hub a channel's vouchers go to, if the rental was passed on. */
    public Optional<LinkedHub> passedTo(String rental) {
        return sql.transaction(() -> sql.one("SELECT hub FROM passed_rental WHERE name = ?", rental))
                .flatMap(r -> linked(r.text(1)));
    }

    /**
     * Passes a renter's signed request about a passed rental on to its home hub. More deposit for
     * it ({@code topUp} &gt; 0) moves to the clearing account first, and back if the home hub refuses.
     */
    public byte[] relay(LinkedHub home, String path, SignedRequest signed, String rental, long topUp) {
        String reference = "passed-topup:" + rental + ":" + signed.issuedAt();
        if (topUp > 0) {
            sql.transaction(() -> {
                ledger.transfer(
                        reference, Ledger.renterWallet(signed.renterKey()), Ledger.clearing(home.name()), topUp);
                sql.update("UPDATE passed_rental SET sent = sent + ? WHERE name = ?", topUp, rental);
            });
        }
        try {
            byte[] answer = linkedHubs.call(
                    home,
                    Paths.FEDERATION + "/" + Paths.RELAY,
                    Cbor.encode(Map.of("path", path, "request", signed.encode())));
            if (path.endsWith("/" + Paths.END) || path.endsWith("/" + Paths.EXTEND)) {
                RentalView view = RentalView.decode(answer).at(home.sshHost());
                sql.transaction(() -> {
                    sql.update("UPDATE passed_rental SET view = ? WHERE name = ?", view.encode(), rental);
                });
                return view.encode();
            }
            return answer;
        } catch (RefusedThere refused) {
            if (topUp > 0) {
                sql.transaction(() -> {
                    ledger.transfer(
                            reference + ":back",
                            Ledger.clearing(home.name()),
                            Ledger.renterWallet(signed.renterKey()),
                            topUp);
                    sql.update("UPDATE passed_rental SET sent = sent - ? WHERE name = ?", topUp, rental);
                });
            }
            throw refused;
        }
    }

    /** Passes a voucher for a passed rental to its home hub, which checks its signature itself. */
    public byte[] forwardVoucher(LinkedHub home, byte[] voucher) {
        return linkedHubs.call(home, Paths.VOUCHERS, voucher);
    }

    public ExecutorService calls() {
        return calls;
    }

    /**
     * This renter's passed rentals, as their home hubs show them now ({@code mine} is the renter's
     * signed request for their rentals, passed on), or as last seen when a hub does not answer.
     */
    public List<RentalView> passedRentals(SignedRequest mine) {
        Map<String, List<String>> byHub = new LinkedHashMap<>();
        Map<String, RentalView> views = new LinkedHashMap<>();
        sql.transaction(() -> {
            for (Sql.Row r : sql.all(
                    "SELECT name, hub, view FROM passed_rental WHERE renter_key = ? AND view IS NOT NULL"
                            + " ORDER BY requested_at",
                    mine.renterKey())) {
                byHub.computeIfAbsent(r.text(2), k -> new ArrayList<>()).add(r.text(1));
                views.put(r.text(1), RentalView.decode(r.bytes(3)));
            }
        });
        for (var entry : byHub.entrySet()) {
            Optional<LinkedHub> home = linked(entry.getKey());
            if (home.isEmpty()
                    || views.values().stream()
                            .filter(v -> entry.getValue().contains(v.name()))
                            .allMatch(v -> v.state().equals(RentalView.ENDED))) {
                continue;
            }
            try {
                for (RentalView there : RentalView.decodeAll(linkedHubs.call(
                        home.get(),
                        Paths.FEDERATION + "/" + Paths.RELAY,
                        Cbor.encode(Map.of("path", Paths.RENTALS + "/" + Paths.MINE, "request", mine.encode()))))) {
                    if (entry.getValue().contains(there.name())) {
                        views.put(there.name(), there.at(home.get().sshHost()));
                    }
                }
            } catch (RefusedException e) {
                LOG.debug("hub {} did not list rentals: {}", entry.getKey(), e.getMessage());
            }
        }
        return new ArrayList<>(views.values());
    }

    // ---- the rounds -------------------------------------------------------------------------------

    /** One round: each linked hub, on a thread of its own, unless its last round is still running. */
    private void round() {
        try {
            for (LinkedHub hub : reloadLinks()) {
                if (busy.add(hub.name())) {
                    calls.execute(() -> {
                        try {
                            refresh(hub);
                        } finally {
                            busy.remove(hub.name());
                        }
                    });
                }
            }
            long now = clock.millis();
            heard.values().removeIf(h -> h.listings().expiresAt() <= now);
        } catch (RuntimeException e) {
            LOG.error("federation round failed", e);
        }
    }

    private void refresh(LinkedHub hub) {
        try {
            SignedListings listings = SignedListings.verify(
                    linkedHubs.call(hub, Paths.FEDERATION + "/" + Paths.LISTINGS, null), hub.key(), clock.millis());
            if (!links().contains(hub)) {
                return; // unlinked while it was being asked
            }
            heard.put(hub.name(), new Heard(listings, clock.millis()));
            if (unreachable.remove(hub.name())) {
                LOG.info("linked hub {} answers again", hub.name());
            }
        } catch (RuntimeException e) {
            if (unreachable.add(hub.name())) {
                LOG.warn(
                        "linked hub {} at {}: {}; its listings go stale, then disappear",
                        hub.name(),
                        hub.address(),
                        e.getMessage());
            }
            return;
        }
        // A rental still opening is asked about only once its rent call has given up (here or at another hub on this
        // database): asked before its rent request arrives, the home hub would refuse the request.
        long calledBefore = clock.millis() - timeoutMillis - CALL_MARGIN_MILLIS;
        List<Sql.Row> passed = sql.transaction(() -> sql.all(
                "SELECT name, state FROM passed_rental WHERE hub = ? AND state <> ?"
                        + " AND (state <> ? OR requested_at < ?)",
                hub.name(),
                SETTLED,
                OPENING,
                calledBefore));
        for (Sql.Row r : passed) {
            try {
                reconcile(hub, r.text(1), r.text(2));
            } catch (RuntimeException e) {
                LOG.warn("asking hub {} about rental {}: {}", hub.name(), r.text(1), e.getMessage());
            }
        }
    }

    /** Asks the home hub how a passed rental stands; a settled one settles here too. */
    private void reconcile(LinkedHub hub, String rental, String state) {
        Fields answer;
        try {
            answer = Cbor.decodeMap(
                    linkedHubs.call(hub, Paths.FEDERATION + "/" + Paths.SETTLEMENT, new RentalRef(rental).encode()));
        } catch (RefusedThere e) {
            // Never opened there, and now it never will: the home hub refuses the rent request if it comes late.
            if (state.equals(OPENING) && e.code() == ErrorCode.NOT_FOUND) {
                LOG.info("rental {} never opened at hub {}: the deposit goes back to the renter", rental, hub.name());
                settle(rental, 0, 0, null);
            }
            return;
        }
        RentalView view = RentalView.decode(answer.bytes("view")).at(hub.sshHost());
        if (answer.bool("settled")) {
            settle(
                    rental,
                    answer.integer("deposit", 0, Long.MAX_VALUE),
                    answer.integer("refund", 0, Long.MAX_VALUE),
                    view);
        } else {
            sql.transaction(() -> {
                sql.update(
                        "UPDATE passed_rental SET state = ?, view = ? WHERE name = ? AND state <> ?",
                        OPEN,
                        view.encode(),
                        rental,
                        SETTLED);
            });
        }
    }

    /**
     * Settles a passed rental here: the home hub held {@code depositThere} of what this hub sent and
     * refunded {@code refundThere}; the renter gets that refund back, and what never reached the home
     * hub. Once only: the reference is unique and a settled rental is not settled again.
     */
    private void settle(String rental, long depositThere, long refundThere, RentalView view) {
        sql.transaction(() -> {
            Sql.Row r = sql.one("SELECT hub, renter_key, sent, state FROM passed_rental WHERE name = ?", rental)
                    .orElseThrow();
            if (r.text(4).equals(SETTLED)) {
                return;
            }
            long sent = r.integer(3);
            long back = refundThere + sent - depositThere;
            if (depositThere > sent || refundThere > depositThere) {
                LOG.error(
                        "hub {} settled rental {} with deposit {} and refund {}, but this hub sent {}; refunding what it can",
                        r.text(1),
                        rental,
                        depositThere,
                        refundThere,
                        sent);
                back = Math.min(Math.max(back, 0), sent);
            }
            ledger.transfer(
                    "passed-settle:" + rental, Ledger.clearing(r.text(1)), Ledger.renterWallet(r.bytes(2)), back);
            sql.update(
                    "UPDATE passed_rental SET state = ?, refund = ?, settled_at = ?"
                            + (view == null ? "" : ", view = ?") + " WHERE name = ?",
                    view == null
                            ? new Object[] {SETTLED, back, clock.millis(), rental}
                            : new Object[] {SETTLED, back, clock.millis(), view.encode(), rental});
            LOG.info("rental {} passed to hub {} settled: {} back to the renter", rental, r.text(1), back);
        });
    }
}
