package io.edgerent.hub.api.coap;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.api.coap.Resources.Handler;
import io.edgerent.hub.api.coap.Resources.PostHandler;
import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.identity.AuthorizedKeys;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.observability.LogContext;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.ExtendRequest;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.Voucher;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What renters ask over their own DTLS sessions, each request signed with the renter's key: {@code rentals}
 * (rent, mine, end, channel, extend, wipe), {@code wallet}, {@code web-signin} and {@code vouchers}. One about a
 * rental passed to a linked hub goes on to that hub.
 */
final class RenterResources {
    private static final Logger LOG = LoggerFactory.getLogger(RenterResources.class);

    static final String MINE = Paths.RENTALS + "/" + Paths.MINE;
    static final String END = Paths.RENTALS + "/" + Paths.END;
    static final String CHANNEL = Paths.RENTALS + "/" + Paths.CHANNEL;
    static final String EXTEND = Paths.RENTALS + "/" + Paths.EXTEND;
    static final String WIPE = Paths.RENTALS + "/" + Paths.WIPE;

    interface SignedHandler {
        byte[] handle(SignedRequest request, Fields body);
    }

    private final Services services;
    private final Federation federation;
    private final VoucherDesk vouchers;
    private final HubMetrics metrics;
    private final Clock clock;
    /** What each renter request does, by path: signed by the renter, over their own session or passed on by a linked hub. */
    private final Map<String, SignedHandler> calls;

    RenterResources(
            Services services,
            Federation federation,
            Accounts accounts,
            VoucherDesk vouchers,
            HubMetrics metrics,
            Clock clock) {
        this.services = services;
        this.federation = federation;
        this.vouchers = vouchers;
        this.metrics = metrics;
        this.clock = clock;
        calls = Map.of(
                Paths.RENTALS,
                this::rent,
                MINE,
                (request, body) -> RentalView.encodeAll(services.rentals().rentalsOf(request.renterKey())),
                END,
                (request, body) -> services.rentals()
                        .end(request.renterKey(), RentalRef.from(body).rental())
                        .encode(),
                CHANNEL,
                (request, body) -> services.payments()
                        .channel(request.renterKey(), RentalRef.from(body).rental())
                        .encode(),
                EXTEND,
                this::extend,
                WIPE,
                (request, body) -> services.wipes()
                        .wipeOf(request.renterKey(), RentalRef.from(body).rental())
                        .encode(),
                Paths.WALLET,
                (request, body) ->
                        services.books().walletOf(request.renterKey()).encode(),
                Paths.WEB_SIGNIN,
                (request, body) -> Cbor.encode(Map.of(
                        "path",
                        "/signin/key/" + accounts.signInCode(request.renterKey()),
                        "httpPort",
                        services.rentals().httpPort(),
                        "httpsPort",
                        services.rentals().httpsPort())));
    }

    /** {@code rentals} and its children. */
    CoapResource rentals() {
        CoapResource rentals = new Handler(Paths.RENTALS).onPost(signed(Paths.RENTALS));
        rentals.add(new Handler(Paths.MINE).onPost(signed(MINE)));
        rentals.add(new Handler(Paths.END).onPost(signed(END)));
        rentals.add(new Handler(Paths.CHANNEL).onPost(signed(CHANNEL)));
        rentals.add(new Handler(Paths.EXTEND).onPost(signed(EXTEND)));
        rentals.add(new Handler(Paths.WIPE).onPost(signed(WIPE)));
        return rentals;
    }

    /** {@code wallet}: the renter's statement. */
    CoapResource wallet() {
        return new Handler(Paths.WALLET).onPost(signed(Paths.WALLET));
    }

    CoapResource webSignIn() {
        return new Handler(Paths.WEB_SIGNIN).onPost(signed(Paths.WEB_SIGNIN));
    }

    CoapResource vouchers() {
        return new VoucherResource();
    }

    /** Carries out a renter's request a linked hub passed on, its signature checked by {@link #verified}. */
    byte[] handle(String path, SignedRequest request, Fields body) {
        named(body);
        return calls.get(path).handle(request, body);
    }

    private byte[] rent(SignedRequest signed, Fields body) {
        RentRequest request = RentRequest.from(body);
        LogContext.device(request.deviceId());
        if (services.devices().devicePublicKey(request.deviceId()).isEmpty()) {
            Optional<Federation.LinkedHub> home = federation.homeOf(request.deviceId());
            if (home.isPresent()) {
                return federation.rent(signed, request, home.get()).encode();
            }
        }
        RentalView rental =
                services.rentals().rent(signed.renterKey(), request, AuthorizedKeys.normalize(request.sshKey()));
        LogContext.rental(rental.name());
        LOG.info("rental {} of device {} for {} h", rental.name(), rental.deviceId(), request.hours());
        return rental.encode();
    }

    private byte[] extend(SignedRequest request, Fields body) {
        ExtendRequest extend = ExtendRequest.from(body);
        return services.rentals()
                .extend(
                        request.renterKey(),
                        extend.rental(),
                        extend.hours(),
                        extend.deposit(),
                        "topup:" + extend.rental() + ":" + request.issuedAt())
                .encode();
    }

    /**
     * A renter's request to {@code path} over the renter's own session. One about a rental passed to a
     * linked hub goes on to that hub; the renter's rentals include those passed on.
     */
    private PostHandler signed(String path) {
        SignedHandler handler = calls.get(path);
        return (payload, peer) -> {
            SignedRequest request = SignedRequest.decode(payload);
            peer.mustBe(request.renterKey(), "the renter key that signed the request");
            Fields body = verified(request, path);
            named(body);
            if (path.equals(MINE)) {
                List<RentalView> all = new ArrayList<>(services.rentals().rentalsOf(request.renterKey()));
                all.addAll(federation.passedRentals(request));
                return RentalView.encodeAll(all);
            }
            if (Federation.RELAYED.contains(path) && body.has("rental")) {
                String rental = body.text("rental");
                Optional<Federation.LinkedHub> home = federation.passedTo(request.renterKey(), rental);
                if (home.isPresent()) {
                    return federation.relay(
                            home.get(),
                            path,
                            request,
                            rental,
                            path.equals(EXTEND) ? ExtendRequest.from(body).deposit() : 0);
                }
            }
            return handler.handle(request, body);
        };
    }

    /** Names in the log context the rental a renter's request is about, if it names one. */
    private static void named(Fields body) {
        if (body.has("rental")) {
            LogContext.rental(body.text("rental"));
        }
    }

    /**
     * The body of a renter's request to {@code path}, once its signature and time are checked, it was
     * not seen before, and its key is no device's.
     */
    Fields verified(SignedRequest request, String path) {
        if (services.devices().isDeviceKey(request.renterKey())) {
            throw new RefusedException(
                    ErrorCode.FORBIDDEN, "this key is a registered device's; a renter signs with a key of their own");
        }
        Fields body = request.verify(path, clock.millis());
        services.replays().acceptOnce(request.signature(), request.issuedAt());
        return body;
    }

    /** {@code vouchers}: answered once the voucher is stored, from the voucher desk's writer thread. */
    private final class VoucherResource extends CoapResource {
        VoucherResource() {
            super(Paths.VOUCHERS);
        }

        /** A voucher for a rental passed to a linked hub goes on to that hub, which checks and stores it. */
        @Override
        public void handlePOST(CoapExchange exchange) {
            CompletableFuture<byte[]> stored;
            try {
                byte[] payload = exchange.getRequestPayload();
                Voucher voucher = Voucher.decode(payload);
                LogContext.rental(voucher.channel());
                Optional<Federation.LinkedHub> home =
                        vouchers.holds(voucher.channel()) ? Optional.empty() : federation.passedTo(voucher.channel());
                stored = home.isPresent()
                        ? CompletableFuture.supplyAsync(
                                () -> federation.forwardVoucher(home.get(), payload), federation.calls())
                        : vouchers.submit(voucher).thenApply(ChannelStatus::encode);
            } catch (RuntimeException malformed) {
                stored = CompletableFuture.failedFuture(malformed);
            }
            stored.whenComplete((status, failure) -> metrics.voucher(failure == null));
            Resources.respondWhenDone(exchange, stored);
        }
    }
}
