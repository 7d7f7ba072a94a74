package io.edgerent.hub.federation;

import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.threads.DaemonThreads;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.HomeProof;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
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
import java.util.HashMap;
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

    /** A linked hub answered with an error: its request was refused there, for certain. */
    public static final class RefusedThere extends RefusedException {
        public RefusedThere(ErrorCode code, String message) {
            super(code, message);
        }
    }

    private final Sql sql;
    private final Ledger ledger;
    private final Clock clock;
    private final KeyPair hubKeyPair;
    private final String hubKey;
    private final Duration refresh;
    private final HeardListings heard;
    /** How requests reach the linked hubs (CoAP over DTLS, in the hub's CoAP adapter). */
    private final LinkedHubCalls linkedHubs;

    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final Links links;
    private final PassedRentals passed;
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
        this.linkedHubs = linkedHubs;
        this.links = new Links(sql, clock, hubKey);
        this.heard = new HeardListings(sql, clock, refresh);
        this.passed = new PassedRentals(
                sql, ledger, clock, links, linkedHubs, callTimeout(refresh).toMillis());
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

    List<LinkedHub> links() {
        return links.links();
    }

    /** The linked hub whose key authenticated a DTLS session, if any. */
    public Optional<LinkedHub> linkedByKey(PublicKey key) {
        return links.byKey(key);
    }

    /**
     * Links the hub at {@code address} (coaps://HOST:PORT) with key {@code key} (an OpenSSH line) as {@code name}, with
     * {@code credit}: the most either hub may owe the other for rentals passed between them.
     */
    public LinkedHub link(String name, String address, String key, long credit) {
        LinkedHub linked = links.add(name, address, key, credit);
        rounds.execute(this::round);
        return linked;
    }

    /** Sets a linked hub's credit ({@link Ledger#post} keeps each clearing account within it). */
    public void setCredit(String name, long credit) {
        links.setCredit(name, credit);
    }

    /** Removes a link; refused while rentals passed to that hub are not settled. */
    public void unlink(String name) {
        links.remove(name);
        heard.forget(name);
        linkedHubs.forget(name);
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
            m.put("credit", links.credit(l.name()));
            m.put("outstanding", Math.abs(ledger.balance(Ledger.clearing(l.name()))));
            HeardListings.Heard h = heard.from(l.name());
            if (h != null) {
                m.put("heardAt", h.at());
                m.put("listings", (long) h.listings().listings().size());
            }
            m.put("stale", h == null || heard.isStale(h, now));
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
                .map(l -> heard.from(l.name()))
                .filter(h -> h != null && !heard.isStale(h, now))
                .count();
        long unsettled = sql.transaction(() -> sql.one("SELECT COUNT(*) FROM passed_rental WHERE state <> ?", SETTLED)
                .orElseThrow()
                .integer(1));
        long listings = heard.shown(now);
        return new Counts(answering, all.size() - answering, listings, unsettled);
    }

    // ---- listings -----------------------------------------------------------------------------

    /**
     * This hub's own listings, signed for the hubs linked with it, each with its device's proof that this hub is its
     * home. A device that has not sent one (an agent older than the proof) is not passed on: linked hubs would refuse it.
     */
    public byte[] signedListings(List<Listing> own) {
        long now = clock.millis();
        Map<String, HomeProof> proofs = new HashMap<>();
        sql.transaction(() -> {
            for (Sql.Row r : sql.all("SELECT id, public_key, home_proof FROM device WHERE home_proof IS NOT NULL")) {
                proofs.put(r.text("id"), new HomeProof(r.bytes("public_key"), r.bytes("home_proof")));
            }
        });
        List<Listing> proven =
                own.stream().filter(l -> proofs.containsKey(l.deviceId())).toList();
        Map<String, HomeProof> theirs = new HashMap<>();
        proven.forEach(l -> theirs.put(l.deviceId(), proofs.get(l.deviceId())));
        return new SignedListings(hubKey, now, now + LISTINGS_VALID_FOR * refresh.toMillis(), proven, theirs)
                .sign(hubKeyPair);
    }

    /** The linked hubs' devices not expired yet, each marked with its home and whether it is stale. */
    public List<Listing> listings() {
        return heard.listings();
    }

    /** The linked hub a device not of this hub is listed from (before its listings expire), if only one lists it. */
    public Optional<LinkedHub> homeOf(String deviceId) {
        return heard.homeOf(deviceId).flatMap(links::linked);
    }

    // ---- passing renters' requests on ------------------------------------------------------------

    /** Passes a renter's signed rent request on to the device's home hub ({@link PassedRentals#rent}). */
    public RentalView rent(SignedRequest signed, RentRequest request, LinkedHub home) {
        return passed.rent(signed, request, home);
    }

    /** The linked hub a rental of this renter was passed to, if it was. */
    public Optional<LinkedHub> passedTo(byte[] renterKey, String rental) {
        return passed.passedTo(renterKey, rental);
    }

    /** The linked hub a channel's vouchers go to, if the rental was passed on. */
    public Optional<LinkedHub> passedTo(String rental) {
        return passed.passedTo(rental);
    }

    /** Passes a renter's signed request about a passed rental on to its home hub. */
    public byte[] relay(LinkedHub home, String path, SignedRequest signed, String rental, long topUp) {
        return passed.relay(home, path, signed, rental, topUp);
    }

    /** Passes a voucher for a passed rental to its home hub, which checks its signature itself. */
    public byte[] forwardVoucher(LinkedHub home, byte[] voucher) {
        return passed.forwardVoucher(home, voucher);
    }

    public ExecutorService calls() {
        return calls;
    }

    /** This renter's passed rentals, as their home hubs show them now. */
    public List<RentalView> passedRentals(SignedRequest mine) {
        return passed.passedRentals(mine);
    }

    // ---- the rounds -------------------------------------------------------------------------------

    /** One round: each linked hub, on a thread of its own, unless its last round is still running. */
    private void round() {
        try {
            for (LinkedHub hub : links.reload()) {
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
            heard.dropExpired();
        } catch (DatabaseUnavailable away) {
            // Sql said so once; the next round tries again
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
            heard.heard(hub, listings);
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
        passed.reconcileWith(hub);
    }
}
