package io.edgerent.client;

import io.edgerent.link.CoapCall;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Earnings;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ExtendRequest;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.Statement;
import io.edgerent.protocol.TokenRequest;
import io.edgerent.protocol.Voucher;
import io.edgerent.protocol.WalletMove;
import io.edgerent.protocol.WipeRecord;
import java.net.URI;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;

/**
 * The hub's API as owners and renters call it. Over {@code coaps://} the DTLS session is
 * authenticated with {@code identity} (the renter's key for renter requests, which the hub checks)
 * and the hub must show the key {@code check} expects. Given several hubs of one fleet, it talks to
 * the first; a request one does not answer fails, and the next goes to the next hub. Nothing is sent
 * twice on its own: a signed request or voucher the first hub may have taken would be refused as a
 * repeat by the others (they share the database), so a caller that keeps going (the payer) signs anew.
 */
public final class HubClient implements AutoCloseable {
    static {
        CoapConfig.register();
        UdpConfig.register();
        // Keep Californium from writing a properties file into the working directory.
        Configuration.setStandard(Configuration.createStandardWithoutFile());
    }

    private final List<URI> hubs;
    private final Function<URI, HubKeyCheck> checks;
    private final long timeoutMillis;
    private final KeyPair identity;
    /** The hub talked to, the key it must show, and the endpoint to it; replaced after a request went unanswered. */
    private volatile int current;

    private volatile HubKeyCheck check;
    private volatile CoapEndpoint endpoint;
    /** The key each hub turned away from had shown. */
    private final Map<URI, PublicKey> shownBefore = new LinkedHashMap<>();

    /** A client with a key of its own for this run and any hub key (for plain loopback CoAP and tests). */
    public HubClient(URI hub, long timeoutMillis) {
        this(hub, timeoutMillis, Ed25519.generate(), HubKeyCheck.any());
    }

    public HubClient(URI hub, long timeoutMillis, KeyPair identity, HubKeyCheck check) {
        this(List.of(hub), timeoutMillis, identity, uri -> check);
    }

    /** A client of several hubs of one fleet, the key each must show given by {@code checks}. */
    public HubClient(List<URI> hubs, long timeoutMillis, KeyPair identity, Function<URI, HubKeyCheck> checks) {
        this.hubs = List.copyOf(hubs);
        this.checks = checks;
        this.timeoutMillis = timeoutMillis;
        this.identity = identity;
        this.check = checks.apply(hub());
        try {
            this.endpoint = Dtls.clientEndpoint(hub(), identity, check);
        } catch (IllegalArgumentException e) {
            throw new HubUnreachableException(e.getMessage());
        }
    }

    /** The key the hub showed in the DTLS handshake, once there was one (coaps:// only). */
    public Optional<PublicKey> shownHubKey() {
        return check.shown();
    }

    /** The key each hub talked to showed in its DTLS handshake (coaps:// only), hub by hub. */
    public synchronized Map<URI, PublicKey> shownHubKeys() {
        Map<URI, PublicKey> shown = new LinkedHashMap<>(shownBefore);
        check.shown().ifPresent(key -> shown.put(hub(), key));
        return shown;
    }

    @Override
    public void close() {
        endpoint.destroy();
    }

    /** The hubs of the fleet this client talks to, in the order it turns to them. */
    public List<URI> hubs() {
        return hubs;
    }

    /** The hub talked to now. */
    public URI hub() {
        return hubs.get(current);
    }

    public String issueToken(String adminSecret, String owner) {
        return issue(adminSecret, owner).token();
    }

    /** A one-time registration token, and the hub's SSH host key (OpenSSH line) for the device to pin. */
    public record IssuedToken(String token, String hubKey) {}

    public IssuedToken issue(String adminSecret, String owner) {
        var answer = Cbor.decodeMap(post(Paths.TOKENS, new TokenRequest(adminSecret, owner).encode()));
        return new IssuedToken(answer.text("token"), answer.text("hubKey"));
    }

    /** A one-time owner invitation for the web pages: its code, and the path and port where to sign up with it. */
    public record Invitation(String code, String path, int httpPort, int httpsPort) {}

    public Invitation inviteOwner(String adminSecret, String owner) {
        var answer = Cbor.decodeMap(post(Paths.TOKENS, new TokenRequest(adminSecret, owner, true).encode()));
        return new Invitation(
                answer.text("token"),
                answer.text("path"),
                (int) answer.integer("httpPort", 0, 65535),
                answer.has("httpsPort") ? (int) answer.integer("httpsPort", 0, 65535) : 0);
    }

    public List<Listing> listings() {
        return Listing.decodeAll(get(Paths.LISTINGS));
    }

    public RentalView rent(
            KeyPair renter, String device, int hours, String sshKey, long maxPricePerHour, long deposit) {
        return rent(renter, new RentRequest(device, hours, sshKey, maxPricePerHour, deposit));
    }

    public RentalView rent(KeyPair renter, RentRequest request) {
        return RentalView.decode(signed(renter, Paths.RENTALS, request.encode()));
    }

    public ChannelStatus pay(Voucher voucher) {
        return ChannelStatus.decode(post(Paths.VOUCHERS, voucher.encode()));
    }

    public ChannelStatus channel(KeyPair renter, String rental) {
        return ChannelStatus.decode(
                signed(renter, Paths.RENTALS + "/" + Paths.CHANNEL, new RentalRef(rental).encode()));
    }

    public RentalView extend(KeyPair renter, String rental, int hours, long deposit) {
        return RentalView.decode(
                signed(renter, Paths.RENTALS + "/" + Paths.EXTEND, new ExtendRequest(rental, hours, deposit).encode()));
    }

    public Statement wallet(KeyPair renter) {
        return Statement.decode(signed(renter, Paths.WALLET, Cbor.encode(java.util.Map.of())));
    }

    /** A one-time link into the hub's web pages for this renter key: its path and the HTTP port it is served on. */
    public record WebSignIn(String path, int httpPort, int httpsPort) {}

    public WebSignIn webSignIn(KeyPair renter) {
        var answer = Cbor.decodeMap(signed(renter, Paths.WEB_SIGNIN, Cbor.encode(java.util.Map.of())));
        return new WebSignIn(
                answer.text("path"),
                (int) answer.integer("httpPort", 0, 65535),
                answer.has("httpsPort") ? (int) answer.integer("httpsPort", 0, 65535) : 0);
    }

    public Statement moveMoney(String adminSecret, String direction, String account, long amount, String reference) {
        return Statement.decode(post(
                Paths.WALLET + "/" + Paths.MOVE,
                new WalletMove(adminSecret, direction, account, amount, reference).encode()));
    }

    public Earnings earnings(String adminSecret, String owner) {
        return Earnings.decode(
                post(Paths.EARNINGS, Cbor.encode(java.util.Map.of("secret", adminSecret, "owner", owner))));
    }

    /**
     * A hub linked with this one, as its operator sees the link: {@code credit} is the most either hub may owe the other
     * for rentals passed between them, {@code outstanding} what is owed now.
     */
    public record Link(
            String name,
            String address,
            String hubKey,
            Long heardAt,
            Long listings,
            boolean stale,
            long credit,
            long outstanding) {}

    /**
     * Adds ({@code add}), sets the credit of ({@code credit}), removes ({@code remove}) or just lists ({@code list}) the
     * hubs linked with this one; answers the links.
     */
    public List<Link> links(String adminSecret, String action, String name, String address, String key, Long credit) {
        java.util.Map<String, Object> request = new java.util.LinkedHashMap<>();
        request.put("secret", adminSecret);
        request.put("action", action);
        request.put("name", name);
        request.put("address", address);
        request.put("key", key);
        if (credit != null) {
            request.put("credit", credit);
        }
        return Cbor.decodeMap(post(Paths.FEDERATION + "/" + Paths.PEERS, Cbor.encode(request))).maps("links").stream()
                .map(f -> new Link(
                        f.text("name"),
                        f.text("address"),
                        f.text("hubKey"),
                        f.has("heardAt") ? f.integer("heardAt") : null,
                        f.has("listings") ? f.integer("listings") : null,
                        f.bool("stale"),
                        f.has("credit") ? f.integer("credit") : 0,
                        f.has("outstanding") ? f.integer("outstanding") : 0))
                .toList();
    }

    public List<RentalView> rentals(KeyPair renter) {
        return RentalView.decodeAll(signed(renter, Paths.RENTALS + "/" + Paths.MINE, Cbor.encode(java.util.Map.of())));
    }

    public WipeRecord wipe(KeyPair renter, String rental) {
        return WipeRecord.decode(signed(renter, Paths.RENTALS + "/" + Paths.WIPE, new RentalRef(rental).encode()));
    }

    public RentalView end(KeyPair renter, String rental) {
        return RentalView.decode(signed(renter, Paths.RENTALS + "/" + Paths.END, new RentalRef(rental).encode()));
    }

    private byte[] signed(KeyPair renter, String path, byte[] body) {
        return post(
                path,
                SignedRequest.sign(renter, path, System.currentTimeMillis(), body)
                        .encode());
    }

    private byte[] get(String path) {
        return exchange(path, client -> client.get());
    }

    private byte[] post(String path, byte[] payload) {
        return exchange(path, client -> client.post(payload, MediaTypeRegistry.APPLICATION_CBOR));
    }

    private byte[] exchange(String path, CoapCall.Send call) {
        URI hub = hub();
        HubKeyCheck shown = check;
        CoapClient client = new CoapClient(hub.resolve("/" + path));
        client.setEndpoint(endpoint);
        client.setTimeout(timeoutMillis);
        try {
            return CoapCall.payload(client, call);
        } catch (CoapCall.Refused e) {
            throw new HubRefusedException(e.codeClass, e.code, e.getMessage());
        } catch (CoapCall.NoAnswer e) {
            if (shown.refused()) {
                throw new HubKeyMismatchException(
                        hub, shown.shown().map(SshKeys::ecdsaP256Line).orElse("?"));
            }
            throw new HubUnreachableException((e.timedOut()
                            ? "no answer from the hub at " + hub + " within " + timeoutMillis / 1000 + " s"
                            : "cannot reach the hub at " + hub + ": " + e.getMessage())
                    + next(client.getEndpoint()));
        }
    }

    /**
     * After a request went unanswered: the next goes to the next hub, if there are several. With one,
     * the hub may have lost the DTLS session (a crash keeps none) and would drop every record of it
     * without a word, so the next request starts with a new endpoint, hence a new handshake; a hub
     * that merely did not answer costs one handshake more. Says where the next request goes.
     */
    private synchronized String next(org.eclipse.californium.core.network.Endpoint used) {
        if (used == endpoint && (hubs.size() > 1 || Dtls.SECURE.equals(hub().getScheme()))) {
            check.shown().ifPresent(key -> shownBefore.put(hub(), key));
            current = (current + 1) % hubs.size();
            check = checks.apply(hub());
            endpoint = Dtls.clientEndpoint(hub(), identity, check);
            used.destroy();
        }
        return hubs.size() > 1
                ? "; the next request goes to the hub at " + hub()
                : " (is `edgerent hub` running there?)";
    }

    /** The hub answered with an error; its text says why. */
    public static final class HubRefusedException extends RuntimeException {
        public final int codeClass;

        public HubRefusedException(int codeClass, String code, String reason) {
            super(reason == null || reason.isBlank() ? code : reason);
            this.codeClass = codeClass;
        }
    }

    /** The hub did not answer. */
    public static class HubUnreachableException extends RuntimeException {
        public HubUnreachableException(String message) {
            super(message);
        }
    }

    /** The DTLS handshake was refused here: the hub showed another key than the one expected. */
    public static final class HubKeyMismatchException extends HubUnreachableException {
        public final String shownKey;

        HubKeyMismatchException(URI hub, String shownKey) {
            super("the hub at " + hub + " shows the key '" + shownKey + "', not the one expected; not talking to it."
                    + " If the hub's key really changed, remove its line from known_hubs");
            this.shownKey = shownKey;
        }
    }
}
