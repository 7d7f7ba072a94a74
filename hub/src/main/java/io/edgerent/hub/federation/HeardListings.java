package io.edgerent.hub.federation;

import io.edgerent.hub.federation.Federation.LinkedHub;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.HomeProof;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.SignedListings;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the linked hubs listed, as this hub heard it: kept until it expires, stale once a hub was not heard from
 * for {@link #STALE_AFTER} rounds. Only what a linked hub may list is kept: devices whose home proof names it, and
 * none of this hub's own.
 */
final class HeardListings {
    private static final Logger LOG = LoggerFactory.getLogger(HeardListings.class);
    /** A linked hub not heard from for this many rounds is shown as stale. */
    static final int STALE_AFTER = 2;

    /** What a linked hub said: its listings, and when this hub heard them. */
    record Heard(SignedListings listings, long at) {}

    private final Sql sql;
    private final Clock clock;
    private final Duration refresh;
    private final Map<String, Heard> heard = new ConcurrentHashMap<>();

    HeardListings(Sql sql, Clock clock, Duration refresh) {
        this.sql = sql;
        this.clock = clock;
        this.refresh = refresh;
    }

    /** Keeps what {@code hub} listed now, without what it may not list. */
    void heard(LinkedHub hub, SignedListings listings) {
        heard.put(hub.name(), new Heard(withoutForeign(hub, listings), clock.millis()));
    }

    /** What the linked hub {@code name} said last, or null. */
    Heard from(String name) {
        return heard.get(name);
    }

    void forget(String name) {
        heard.remove(name);
    }

    void dropExpired() {
        long now = clock.millis();
        heard.values().removeIf(h -> h.listings().expiresAt() <= now);
    }

    /** How many listings of linked hubs are shown now (not expired). */
    long shown(long now) {
        return heard.values().stream()
                .filter(h -> h.listings().expiresAt() > now)
                .mapToLong(h -> h.listings().listings().size())
                .sum();
    }

    /**
     * The linked hubs' devices not expired yet, each marked with its home and whether it is stale. A device id that
     * two linked hubs list is shown from neither: only its home hub may list it, and this hub cannot tell which one
     * that is (each refresh logs it).
     */
    List<Listing> listings() {
        long now = clock.millis();
        Set<String> contested = contested(now);
        List<Listing> out = new ArrayList<>();
        heard.forEach((hub, h) -> {
            if (h.listings().expiresAt() > now) {
                boolean stale = isStale(h, now);
                h.listings().listings().stream()
                        .filter(l -> !contested.contains(l.deviceId()))
                        .forEach(l -> out.add(l.from(hub, stale)));
            }
        });
        return out;
    }

    /** The name of the linked hub a device is listed from (before its listings expire), if only one lists it. */
    Optional<String> homeOf(String deviceId) {
        long now = clock.millis();
        List<String> listing = new ArrayList<>();
        heard.forEach((hub, h) -> {
            if (h.listings().expiresAt() > now
                    && h.listings().listings().stream()
                            .anyMatch(l -> l.deviceId().equals(deviceId))) {
                listing.add(hub);
            }
        });
        return listing.size() == 1 ? Optional.of(listing.get(0)) : Optional.empty();
    }

    /** Device ids more than one linked hub lists now. */
    private Set<String> contested(long now) {
        Map<String, String> listedBy = new HashMap<>();
        Set<String> contested = new HashSet<>();
        heard.forEach((hub, h) -> {
            if (h.listings().expiresAt() > now) {
                for (Listing l : h.listings().listings()) {
                    String first = listedBy.putIfAbsent(l.deviceId(), hub);
                    if (first != null && !first.equals(hub)) {
                        contested.add(l.deviceId());
                    }
                }
            }
        });
        return contested;
    }

    /**
     * A linked hub's listings without the devices it may not list: those whose proof does not name it as their home,
     * and this hub's own. Each is refused and logged; one another linked hub lists too is logged (and shown from
     * neither, {@link #listings}).
     */
    private SignedListings withoutForeign(LinkedHub hub, SignedListings listings) {
        List<String> ids = listings.listings().stream().map(Listing::deviceId).toList();
        Set<String> own = new HashSet<>();
        if (!ids.isEmpty()) {
            sql.transaction(() -> {
                for (String id : ids) {
                    if (sql.one("SELECT id FROM device WHERE id = ?", id).isPresent()) {
                        own.add(id);
                    }
                }
            });
        }
        long now = clock.millis();
        Set<String> elsewhere = new HashSet<>();
        heard.forEach((other, h) -> {
            if (!other.equals(hub.name()) && h.listings().expiresAt() > now) {
                h.listings().listings().forEach(l -> elsewhere.add(l.deviceId()));
            }
        });
        List<Listing> kept = new ArrayList<>();
        for (Listing l : listings.listings()) {
            HomeProof proof = listings.proofs().get(l.deviceId());
            if (proof == null || !proof.names(l.deviceId(), hub.hubKey())) {
                LOG.warn(
                        "linked hub {} lists device {} without the device's proof that it is its home: refused",
                        hub.name(),
                        l.deviceId());
            } else if (own.contains(l.deviceId())) {
                LOG.warn("linked hub {} lists device {}, which is this hub's own: refused", hub.name(), l.deviceId());
            } else {
                if (elsewhere.contains(l.deviceId())) {
                    LOG.warn(
                            "linked hub {} lists device {}, which another linked hub lists too: shown from neither",
                            hub.name(),
                            l.deviceId());
                }
                kept.add(l);
            }
        }
        return kept.size() == listings.listings().size()
                ? listings
                : new SignedListings(
                        listings.hubKey(), listings.issuedAt(), listings.expiresAt(), kept, listings.proofs());
    }

    boolean isStale(Heard h, long now) {
        return now - h.at() > STALE_AFTER * refresh.toMillis();
    }
}
