package io.edgerent.hub.federation;

import io.edgerent.hub.federation.Federation.LinkedHub;
import io.edgerent.hub.federation.Federation.RefusedThere;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.Voucher;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rentals of a linked hub's devices, passed on to that hub: the deposit moves from the renter's wallet here into the
 * hub's clearing account, requests about the rental go on to it, and what it settled comes back.
 */
final class PassedRentals {
    private static final Logger LOG = LoggerFactory.getLogger(PassedRentals.class);
    /** Beyond a call's timeout, for the clocks of hubs sharing a database: when a rent call has surely given up. */
    private static final long CALL_MARGIN_MILLIS = 5_000;

    private final Sql sql;
    private final Ledger ledger;
    private final Clock clock;
    private final Links links;
    private final LinkedHubCalls linkedHubs;
    private final long timeoutMillis;

    PassedRentals(Sql sql, Ledger ledger, Clock clock, Links links, LinkedHubCalls linkedHubs, long timeoutMillis) {
        this.sql = sql;
        this.ledger = ledger;
        this.clock = clock;
        this.links = links;
        this.linkedHubs = linkedHubs;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Passes a renter's signed rent request on to the device's home hub, funding the deposit from
     * the renter's wallet here. Refusals there are refusals here, with the deposit back; when the home
     * hub does not answer, the rental may still open there, and the next rounds find out: the first
     * answer about it is final (a hub asked about a rental it does not have never opens it after).
     */
    RentalView rent(SignedRequest signed, RentRequest request, LinkedHub home) {
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
                    Federation.OPENING,
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
                    Federation.OPEN,
                    view.encode(),
                    name,
                    Federation.OPENING);
        });
        LOG.info("rental {} of device {} passed to hub {}", name, request.deviceId(), home.name());
        return view;
    }

    /** The linked hub a rental of this renter was passed to, if it was. */
    Optional<LinkedHub> passedTo(byte[] renterKey, String rental) {
        return sql.transaction(() -> sql.one("SELECT hub, renter_key FROM passed_rental WHERE name = ?", rental))
                .filter(r -> Arrays.equals(r.bytes("renter_key"), renterKey))
                .flatMap(r -> links.linked(r.text("hub")));
    }

    /** The linked hub a channel's vouchers go to, if the rental was passed on. */
    Optional<LinkedHub> passedTo(String rental) {
        return sql.transaction(() -> sql.one("SELECT hub FROM passed_rental WHERE name = ?", rental))
                .flatMap(r -> links.linked(r.text("hub")));
    }

    /**
     * Passes a renter's signed request about a passed rental on to its home hub. More deposit for
     * it ({@code topUp} &gt; 0) moves to the clearing account first, and back if the home hub refuses.
     */
    byte[] relay(LinkedHub home, String path, SignedRequest signed, String rental, long topUp) {
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

    /**
     * Passes a voucher for a passed rental to its home hub, once it verified with the renter's key here: the highest
     * such voucher is the most this hub ever pays the home hub for the rental ({@link #settle}), whatever it answers.
     */
    byte[] forwardVoucher(LinkedHub home, byte[] payload) {
        Voucher voucher = Voucher.decode(payload);
        sql.transaction(() -> {
            Sql.Row r = sql.one("SELECT renter_key FROM passed_rental WHERE name = ?", voucher.channel())
                    .orElseThrow(() -> new RefusedException(
                            ErrorCode.NOT_FOUND, "no channel " + voucher.channel() + " on this hub"));
            if (!voucher.verifies(r.bytes("renter_key"))) {
                throw new RefusedException(
                        ErrorCode.UNAUTHORIZED, "voucher signature does not verify with the channel's key");
            }
            sql.update(
                    "UPDATE passed_rental SET promised = LEAST(sent, ?) WHERE name = ? AND promised < ?",
                    voucher.amount(),
                    voucher.channel(),
                    voucher.amount());
        });
        return linkedHubs.call(home, Paths.VOUCHERS, payload);
    }

    /**
     * This renter's passed rentals, as their home hubs show them now ({@code mine} is the renter's
     * signed request for their rentals, passed on), or as last seen when a hub does not answer.
     */
    List<RentalView> passedRentals(SignedRequest mine) {
        Map<String, List<String>> byHub = new LinkedHashMap<>();
        Map<String, RentalView> views = new LinkedHashMap<>();
        sql.transaction(() -> {
            for (Sql.Row r : sql.all(
                    "SELECT name, hub, view FROM passed_rental WHERE renter_key = ? AND view IS NOT NULL"
                            + " ORDER BY requested_at",
                    mine.renterKey())) {
                byHub.computeIfAbsent(r.text("hub"), k -> new ArrayList<>()).add(r.text("name"));
                views.put(r.text("name"), RentalView.decode(r.bytes("view")));
            }
        });
        for (var entry : byHub.entrySet()) {
            Optional<LinkedHub> home = links.linked(entry.getKey());
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

    /** Asks {@code hub} how each rental passed to it and not settled stands (one still opening once its rent call gave up). */
    void reconcileWith(LinkedHub hub) {
        // A rental still opening is asked about only once its rent call has given up (here or at another hub on this
        // database): asked before its rent request arrives, the home hub would refuse the request.
        long calledBefore = clock.millis() - timeoutMillis - CALL_MARGIN_MILLIS;
        List<Sql.Row> passed = sql.transaction(() -> sql.all(
                "SELECT name, state FROM passed_rental WHERE hub = ? AND state <> ?"
                        + " AND (state <> ? OR requested_at < ?)",
                hub.name(),
                Federation.SETTLED,
                Federation.OPENING,
                calledBefore));
        for (Sql.Row r : passed) {
            try {
                reconcile(hub, r.text("name"), r.text("state"));
            } catch (RuntimeException e) {
                LOG.warn("asking hub {} about rental {}: {}", hub.name(), r.text("name"), e.getMessage());
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
            if (state.equals(Federation.OPENING) && e.code() == ErrorCode.NOT_FOUND) {
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
                        Federation.OPEN,
                        view.encode(),
                        rental,
                        Federation.SETTLED);
            });
        }
    }

    /**
     * Settles a passed rental here: the home hub says it held {@code depositThere} of what this hub sent and refunded
     * {@code refundThere}. This hub believes that only as far as its renter's signatures go: the home hub keeps at most
     * the highest voucher the renter signed (and this hub passed on) and at most what this hub sent; the rest comes back
     * to the renter, whatever the home hub answered. Once only: the reference is unique and a settled rental is not
     * settled again.
     */
    private void settle(String rental, long depositThere, long refundThere, RentalView view) {
        sql.transaction(() -> {
            Sql.Row r = sql.one(
                            "SELECT hub, renter_key, sent, promised, state FROM passed_rental WHERE name = ?", rental)
                    .orElseThrow();
            if (r.text("state").equals(Federation.SETTLED)) {
                return;
            }
            long sent = r.integer("sent");
            long promised = r.integer("promised");
            long claimed = Math.max(0, depositThere - Math.min(refundThere, depositThere));
            long kept = Math.min(claimed, Math.min(promised, sent));
            long back = sent - kept;
            if (claimed > kept || depositThere > sent || refundThere > depositThere) {
                LOG.error(
                        "hub {} settled rental {} keeping {} (deposit {}, refund {}), but this hub sent {} and the renter"
                                + " signed vouchers for {}: it keeps {}, the renter gets {} back",
                        r.text("hub"),
                        rental,
                        claimed,
                        depositThere,
                        refundThere,
                        sent,
                        promised,
                        kept,
                        back);
            }
            ledger.transfer(
                    "passed-settle:" + rental,
                    Ledger.clearing(r.text("hub")),
                    Ledger.renterWallet(r.bytes("renter_key")),
                    back);
            sql.update(
                    "UPDATE passed_rental SET state = ?, refund = ?, settled_at = ?"
                            + (view == null ? "" : ", view = ?") + " WHERE name = ?",
                    view == null
                            ? new Object[] {Federation.SETTLED, back, clock.millis(), rental}
                            : new Object[] {Federation.SETTLED, back, clock.millis(), view.encode(), rental});
            LOG.info("rental {} passed to hub {} settled: {} back to the renter", rental, r.text("hub"), back);
        });
    }
}
