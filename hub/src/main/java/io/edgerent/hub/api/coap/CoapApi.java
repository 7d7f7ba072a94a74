package io.edgerent.hub.api.coap;

import io.edgerent.hub.rental.Services;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.identity.AuthorizedKeys;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.payment.SettlementRail;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.ExtendRequest;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.WipeRecord;
import io.edgerent.protocol.Voucher;
import io.edgerent.protocol.WalletMove;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.TokenRequest;
import io.edgerent.link.CompactContexts;
import io.edgerent.link.Dtls;
import io.edgerent.link.SharedMessageIds;
import io.edgerent.protocol.Ed25519;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.Arrays;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import io.edgerent.protocol.ChannelStatus;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Function;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.InMemoryMessageExchangeStore;
import org.eclipse.californium.core.network.RandomTokenGenerator;
import org.eclipse.californium.core.network.TokenGenerator;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.elements.util.PersistentComponentUtil;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's CoAP resources (paths in {@link Paths}), CBOR in and out. Every refusal is mapped to a
 * CoAP error code with a diagnostic text payload here, once.
 *
 * <p>Served twice: over DTLS on the bind address (what devices and renters use; each peer is
 * authenticated by its raw public key, which must be the key it acts as), and as plain CoAP on
 * loopback only, for the hub machine's own tools and development, where signatures alone speak.
 * Open DTLS sessions are saved on close and restored on start, so a restart costs no handshakes.
 */
public final class CoapApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoapApi.class);

    static {
        CoapConfig.register();
        UdpConfig.register();
    }

    private final Services services;
    private final VoucherDesk vouchers;
    private final GroupCommit commits;
    private final HubKey hubKey;
    /** The SSH gateway's port, once bound: devices are told it when they register. */
    private final IntSupplier sshPort;
    private final String adminSecret;
    private final Clock clock;
    private final SettlementRail rail;
    private final CoapServer server;
    private final InetSocketAddress address;
    private final InetSocketAddress secureAddress;
    private final DTLSConnector dtls;
    private final Path dtlsState;
    /** The DTLS sessions as one persistent component, saved on close and loaded at start. */
    private final PersistentComponentUtil sessions = new PersistentComponentUtil();
    private final HubMetrics metrics;
    private final CoapResource devices;
    /** The devices this hub answers, by id, as their requests are checked: their keys. */
    private final Map<String, Device> knownDevices = new ConcurrentHashMap<>();
    /**
     * {@code devices/ID} of every device: one resource, whose children ({@code heartbeat}, {@code usage},
     * {@code wipes}, {@code assignment}) are one each for all devices and learn the device from the path.
     * A resource per device would cost each session kilobytes.
     */
    private final CoapResource deviceNode;
    private final AssignmentVersionResource assignmentVersions = new AssignmentVersionResource();
    private final Federation federation;
    /** What each renter request does, by path: signed by the renter, over their own session or passed on by a linked hub. */
    private final Map<String, SignedHandler> renterCalls;
    private final Accounts accounts;

    public CoapApi(HubConfig config, Services services, GroupCommit commits, HubKey hubKey, IntSupplier sshPort, String adminSecret, Clock clock,
            HubMetrics metrics, Federation federation, Accounts accounts) {
        this.services = services;
        this.accounts = accounts;
        this.federation = federation;
        this.commits = commits;
        this.vouchers = new VoucherDesk(services, commits);
        this.hubKey = hubKey;
        this.sshPort = sshPort;
        this.adminSecret = adminSecret;
        this.clock = clock;
        this.rail = SettlementRail.internal(services.ledger());
        this.metrics = metrics;
        Configuration coap = Dtls.plainConfiguration();
        server = new CoapServer(coap);
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), config.coapPort());
        CoapEndpoint plain = new CoapEndpoint.Builder().setConfiguration(coap).setInetSocketAddress(address).build();
        plain.addInterceptor(metrics.plainCoap);
        server.addEndpoint(plain);
        secureAddress = new InetSocketAddress(config.bindAddress(), config.coapsPort());
        Configuration secure = Dtls.configuration(DtlsRole.SERVER_ONLY);
        // Any raw public key completes the handshake (a new renter is a new key); each resource checks whose it must be.
        dtls = Dtls.connector(secure, secureAddress, hubKey.pair(),
                StaticNewAdvancedCertificateVerifier.builder().setTrustAllRPKs().build(), metrics.dtls);
        // Compact contexts: an observation keeps two for as long as its device observes (CompactContexts). Message IDs
        // from one counter: no tracker per device notified (SharedMessageIds).
        TokenGenerator tokens = new RandomTokenGenerator(secure);
        InMemoryMessageExchangeStore exchanges = new InMemoryMessageExchangeStore("dtls", secure, tokens);
        exchanges.setMessageIdProvider(new SharedMessageIds(secure));
        CoapEndpoint secured = new CoapEndpoint.Builder().setConfiguration(secure).setConnector(new CompactContexts(dtls))
                .setTokenGenerator(tokens).setMessageExchangeStore(exchanges).build();
        secured.addInterceptor(metrics.secureCoap);
        server.addEndpoint(secured);
        dtlsState = config.dataDir().resolve("dtls.state");
        sessions.add(dtls);
        Map<String, CoapResource> perDevice = Map.of(
                Paths.HEARTBEAT, new DeviceReport(Paths.HEARTBEAT, (device, payload, peer) -> {
                    peer.mustBe(device.key, device.whose());
                    Heartbeat heartbeat = Heartbeat.decode(payload);
                    return commits.submit(() -> services.rentals().heartbeat(device.id, heartbeat).encode());
                }),
                Paths.USAGE, new DeviceReport(Paths.USAGE, (device, payload, peer) -> {
                    Fields body = deviceSigned(device, Paths.USAGE, payload, peer);
                    UsageReport usage = UsageReport.from(body);
                    return commits.submit(() -> services.rentals().recordUsage(device.id, usage).encode());
                }),
                Paths.WIPES, new DeviceReport(Paths.WIPES, (device, payload, peer) -> {
                    WipeRecord wipe = WipeRecord.from(deviceSigned(device, Paths.WIPES, payload, peer));
                    return commits.submit(() -> {
                        services.wipes().recordWipe(device.id, device.key, wipe);
                        return new byte[0];
                    });
                }),
                Paths.ASSIGNMENT, new AssignmentResource(),
                Paths.ASSIGNMENT_VERSION, assignmentVersions);
        deviceNode = new CoapResource("device") {
            @Override
            public Resource getChild(String name) {
                return perDevice.get(name);
            }
        };
        deviceNode.setVisible(false);
        devices = new Handler(Paths.DEVICES) {
            @Override
            public Resource getChild(String name) {
                return device(name) != null ? deviceNode : null;
            }
        }.onPost(this::register);
        renterCalls = Map.of(
                Paths.RENTALS, this::rent,
                MINE, (request, body) -> RentalView.encodeAll(services.rentals().rentalsOf(request.renterKey())),
                END, (request, body) -> services.rentals().end(request.renterKey(), RentalRef.from(body).rental()).encode(),
                CHANNEL, (request, body) -> services.rentals().channel(request.renterKey(), RentalRef.from(body).rental()).encode(),
                EXTEND, this::extend,
                WIPE, (request, body) -> services.wipes().wipeOf(request.renterKey(), RentalRef.from(body).rental()).encode(),
                Paths.WALLET, (request, body) -> services.books().walletOf(request.renterKey()).encode(),
                Paths.WEB_SIGNIN, (request, body) -> Cbor.encode(Map.of("path", "/signin/key/" + accounts.signInCode(request.renterKey()),
                        "httpPort", services.rentals().httpPort())));
        CoapResource rentals = new Handler(Paths.RENTALS).onPost(signed(Paths.RENTALS));
        rentals.add(new Handler(Paths.MINE).onPost(signed(MINE)));
        rentals.add(new Handler(Paths.END).onPost(signed(END)));
        rentals.add(new Handler(Paths.CHANNEL).onPost(signed(CHANNEL)));
        rentals.add(new Handler(Paths.EXTEND).onPost(signed(EXTEND)));
        rentals.add(new Handler(Paths.WIPE).onPost(signed(WIPE)));
        CoapResource wallet = new Handler(Paths.WALLET).onPost(signed(Paths.WALLET));
        wallet.add(new Handler(Paths.MOVE).onPost(this::moveMoney));
        server.add(devices, rentals, wallet, new Handler(Paths.WEB_SIGNIN).onPost(signed(Paths.WEB_SIGNIN)),
                new VoucherResource(),
                new Handler(Paths.EARNINGS).onPost(this::earnings),
                new Handler(Paths.TOKENS).onPost(this::issueToken),
                new Handler(Paths.LISTINGS).onGet(peer -> Listing.encodeAll(market())),
                new Handler(Paths.HUB_KEY).onGet(peer -> Cbor.encode(Map.of("hubKey", hubKey.openSsh()))),
                federationResource());
        services.events().onAssignmentChanged(assignmentVersions::changed);
    }

    public void start() {
        restoreSessions();
        try {
            server.start();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("cannot start the CoAP API on " + address + " and " + secureAddress
                    + " (is another hub running there?)", e);
        }
    }

    public int port() {
        return server.getEndpoints().get(0).getAddress().getPort();
    }

    /** Brings the DTLS session count up to date (Scandium reports it on request). */
    public void updateDtlsHealth() {
        dtls.updateHealth();
    }

    public int securePort() {
        return server.getEndpoints().get(1).getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop();
        saveSessions();
        server.destroy();
    }

    /** DTLS sessions older than this are not saved: their devices would have been dropped anyway. */
    private static final long SESSION_STALE_SECONDS = 3600;

    /** Writes the open DTLS sessions (their keys included) to a file only the hub's user reads. */
    private void saveSessions() {
        try {
            Path tmp = Files.createTempFile(dtlsState.getParent(), "dtls", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            int saved;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                saved = sessions.saveComponents(out, SESSION_STALE_SECONDS);
            }
            Files.move(tmp, dtlsState, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("saved {} DTLS session(s) for the next start", saved);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not save the DTLS sessions ({}); devices will handshake again after the restart", e.getMessage());
        }
    }

    /** Loads what {@link #saveSessions} wrote, once: the file is deleted, so a crash later never replays old state. */
    private void restoreSessions() {
        if (!Files.exists(dtlsState)) {
            return;
        }
        try (InputStream in = Files.newInputStream(dtlsState)) {
            LOG.info("restored {} DTLS session(s)", sessions.loadComponents(in));
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not restore the DTLS sessions ({}); devices will handshake again", e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(dtlsState);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", dtlsState, e.getMessage());
            }
        }
    }

    private byte[] issueToken(byte[] payload, Peer peer) {
        TokenRequest request = TokenRequest.decode(payload);
        requireAdmin(request.adminSecret());
        if (request.dashboard()) {
            String invite = services.devices().issueOwnerInvite(request.owner());
            return Cbor.encode(Map.of("token", invite, "hubKey", hubKey.openSsh(), "path", "/signup?invite=" + invite, "httpPort",
                    services.rentals().httpPort()));
        }
        // The hub's SSH host key comes along, so provisioning can pin it in the device's first-boot config.
        return Cbor.encode(Map.of("token", services.devices().issueToken(request.owner()), "hubKey", hubKey.openSsh()));
    }

    private byte[] moveMoney(byte[] payload, Peer peer) {
        WalletMove move = WalletMove.decode(payload);
        requireAdmin(move.adminSecret());
        if (!move.account().matches("renter:[0-9a-f]{64}|owner:[A-Za-z0-9._-]{1,64}|" + Ledger.HUB_FEES)) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "accounts are renter:KEYHEX (from `edgerent wallet`), owner:NAME or "
                    + Ledger.HUB_FEES);
        }
        if (move.direction().equals(WalletMove.DEPOSIT)) {
            rail.deposit(move.account(), move.amount(), move.reference());
        } else {
            rail.withdraw(move.account(), move.amount(), move.reference());
        }
        LOG.info("{} of {} for {} (ref {})", move.direction(), move.amount(), move.account(), move.reference());
        return services.ledger().statement(move.account()).encode();
    }

    private byte[] earnings(byte[] payload, Peer peer) {
        Fields f = Cbor.decodeMap(payload);
        requireAdmin(f.text("secret"));
        return services.books().earnings(f.text("owner")).encode();
    }

    private byte[] extend(SignedRequest request, Fields body) {
        ExtendRequest extend = ExtendRequest.from(body);
        return services.rentals().extend(request.renterKey(), extend.rental(), extend.hours(), extend.deposit(),
                "topup:" + extend.rental() + ":" + request.issuedAt()).encode();
    }

    /** This hub's devices, then the linked hubs' (each marked with its home). */
    public List<Listing> market() {
        List<Listing> all = new ArrayList<>(services.market().listings());
        all.addAll(federation.listings());
        return all;
    }

    /**
     * {@code federation/*}: what linked hubs ask of this one over their own DTLS sessions, and the
     * operator's {@code federation/peers}.
     */
    private CoapResource federationResource() {
        CoapResource fed = new Handler(Paths.FEDERATION);
        fed.add(new Handler(Paths.LISTINGS).onGet(peer -> {
            linkedHub(peer);
            return federation.signedListings(services.market().listings());
        }));
        fed.add(new Handler(Paths.RENT).onPost((payload, peer) -> {
            Federation.LinkedHub from = linkedHub(peer);
            Fields f = Cbor.decodeMap(payload);
            String name = f.text("name");
            if (!Names.isRentalName(name)) {
                throw new MalformedMessageException("field 'name' is not a rental name");
            }
            SignedRequest request = SignedRequest.decode(f.bytes("request"));
            RentRequest rent = RentRequest.from(verifiedRenter(request, Paths.RENTALS));
            RentalView rental = services.rentals().rent(request.renterKey(), rent, AuthorizedKeys.normalize(rent.sshKey()), name,
                    from.name());
            LOG.info("rental {} of device {} for {} h, passed on by hub {}", rental.name(), rental.deviceId(), rent.hours(), from.name());
            return rental.encode();
        }));
        fed.add(new Handler(Paths.RELAY).onPost((payload, peer) -> {
            linkedHub(peer);
            Fields f = Cbor.decodeMap(payload);
            String path = f.text("path");
            if (!Federation.RELAYED.contains(path)) {
                throw new RefusedException(ErrorCode.BAD_REQUEST, "a linked hub passes on only " + Federation.RELAYED);
            }
            SignedRequest request = SignedRequest.decode(f.bytes("request"));
            return renterCalls.get(path).handle(request, verifiedRenter(request, path));
        }));
        fed.add(new Handler(Paths.SETTLEMENT).onPost((payload, peer) ->
                services.rentals().passedSettlement(RentalRef.from(Cbor.decodeMap(payload)).rental(), linkedHub(peer).name())));
        fed.add(new Handler(Paths.PEERS).onPost(this::links));
        return fed;
    }

    /** The linked hub a request comes from, by the key of its DTLS session. */
    private Federation.LinkedHub linkedHub(Peer peer) {
        return federation.linkedByKey(peer.key()).orElseThrow(() -> new RefusedException(ErrorCode.FORBIDDEN,
                "only hubs linked with this one may ask this, over DTLS with their own keys"));
    }

    /** {@code federation/peers} (admin): add, remove or list the linked hubs. */
    private byte[] links(byte[] payload, Peer peer) {
        Fields f = Cbor.decodeMap(payload);
        requireAdmin(f.text("secret"));
        switch (f.text("action")) {
            case "add" -> federation.link(f.text("name"), f.text("address"), f.text("key"));
            case "remove" -> federation.unlink(f.text("name"));
            case "list" -> { }
            default -> throw new RefusedException(ErrorCode.BAD_REQUEST, "action is add, remove or list");
        }
        return Cbor.encode(Map.of("links", federation.linkStatus()));
    }

    private void requireAdmin(String secret) {
        if (!MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8), adminSecret.getBytes(StandardCharsets.UTF_8))) {
            throw new RefusedException(ErrorCode.UNAUTHORIZED, "wrong admin secret (see admin.secret in the hub's data directory)");
        }
    }

    private byte[] register(byte[] payload, Peer peer) {
        Registration registration = Registration.decode(payload);
        peer.mustBe(registration.publicKey(), "the device key being registered");
        RegistrationAccepted accepted = services.devices().register(registration, sshPort.getAsInt(), hubKey.openSsh());
        knownDevices.put(accepted.deviceId(), new Device(accepted.deviceId(), registration.publicKey()));
        LOG.info("device {} registered, tunnel port {}", accepted.deviceId(), accepted.tunnelPort());
        return accepted.encode();
    }

    private byte[] rent(SignedRequest signed, Fields body) {
        RentRequest request = RentRequest.from(body);
        if (services.devices().devicePublicKey(request.deviceId()).isEmpty()) {
            Optional<Federation.LinkedHub> home = federation.homeOf(request.deviceId());
            if (home.isPresent()) {
                return federation.rent(signed, request, home.get()).encode();
            }
        }
        RentalView rental = services.rentals().rent(signed.renterKey(), request, AuthorizedKeys.normalize(request.sshKey()));
        LOG.info("rental {} of device {} for {} h", rental.name(), rental.deviceId(), request.hours());
        return rental.encode();
    }

    /** A device of this hub: the requests it makes are checked against {@code key}, its registered key. */
    private record Device(String id, byte[] key) {
        String whose() {
            return "device " + id + "'s key";
        }
    }

    /** Device {@code id}, or null if no hub on this database registered it (one registered by another is learnt here). */
    private Device device(String id) {
        Device known = knownDevices.get(id);
        if (known == null && Names.isDeviceId(id)) {
            known = services.devices().devicePublicKey(id).map(key -> knownDevices.computeIfAbsent(id, k -> new Device(k, key))).orElse(null);
        }
        return known;
    }

    /** The device a request to {@code devices/ID/NAME} names, or null. */
    private Device deviceOf(Request request) {
        String id = deviceIdOf(request);
        return id == null ? null : device(id);
    }

    /** The ID a request to {@code devices/ID/NAME} names, or null. */
    private static String deviceIdOf(Request request) {
        List<String> path = request.getOptions().getUriPath();
        return path.size() == 3 ? path.get(1) : null;
    }

    private static final String MINE = Paths.RENTALS + "/" + Paths.MINE;
    private static final String END = Paths.RENTALS + "/" + Paths.END;
    private static final String CHANNEL = Paths.RENTALS + "/" + Paths.CHANNEL;
    private static final String EXTEND = Paths.RENTALS + "/" + Paths.EXTEND;
    private static final String WIPE = Paths.RENTALS + "/" + Paths.WIPE;

    interface SignedHandler {
        byte[] handle(SignedRequest request, Fields body);
    }

    /**
     * A renter's request to {@code path} over the renter's own session. One about a rental passed to a
     * linked hub goes on to that hub; the renter's rentals include those passed on.
     */
    private PostHandler signed(String path) {
        SignedHandler handler = renterCalls.get(path);
        return (payload, peer) -> {
            SignedRequest request = SignedRequest.decode(payload);
            peer.mustBe(request.renterKey(), "the renter key that signed the request");
            Fields body = verifiedRenter(request, path);
            if (path.equals(MINE)) {
                List<RentalView> all = new ArrayList<>(services.rentals().rentalsOf(request.renterKey()));
                all.addAll(federation.passedRentals(request));
                return RentalView.encodeAll(all);
            }
            if (Federation.RELAYED.contains(path) && body.has("rental")) {
                String rental = body.text("rental");
                Optional<Federation.LinkedHub> home = federation.passedTo(request.renterKey(), rental);
                if (home.isPresent()) {
                    return federation.relay(home.get(), path, request, rental, path.equals(EXTEND) ? ExtendRequest.from(body).deposit() : 0);
                }
            }
            return handler.handle(request, body);
        };
    }

    /**
     * The body of a renter's request to {@code path}, once its signature and time are checked, it was
     * not seen before, and its key is no device's.
     */
    private Fields verifiedRenter(SignedRequest request, String path) {
        if (services.devices().isDeviceKey(request.renterKey())) {
            throw new RefusedException(ErrorCode.FORBIDDEN, "this key is a registered device's; a renter signs with a key of their own");
        }
        Fields body = request.verify(path, clock.millis());
        services.replays().acceptOnce(request.signature(), request.issuedAt());
        return body;
    }

    /**
     * The body of a device's report on {@code devices/ID/RESOURCE}, signed with the device's key,
     * over the device's own session. No replay record: reports carry their own sequence or are idempotent.
     */
    private Fields deviceSigned(Device device, String resource, byte[] payload, Peer peer) {
        peer.mustBe(device.key, device.whose());
        SignedRequest request = SignedRequest.decode(payload);
        if (!Arrays.equals(request.renterKey(), device.key)) {
            throw new SignedRequest.SignatureException("the report is not signed with device " + device.id + "'s key");
        }
        return request.verify(Paths.DEVICES + "/" + device.id + "/" + resource, clock.millis());
    }

    interface PostHandler {
        byte[] handle(byte[] payload, Peer peer);
    }

    interface GetHandler {
        byte[] handle(Peer peer);
    }

    /**
     * Who sent a request: the raw public key its DTLS session authenticated, or none on plain
     * loopback CoAP, where the hub machine's own tools and development run.
     */
    record Peer(PublicKey key) {
        static Peer of(CoapExchange exchange) {
            return new Peer(Dtls.peerKey(exchange.advanced().getRequest().getSourceContext().getPeerIdentity()));
        }

        /** Refuses the request unless its DTLS key is {@code rawEd25519} (plain loopback passes: signatures decide there). */
        void mustBe(byte[] rawEd25519, String whose) {
            if (key != null && !(key.getAlgorithm().startsWith("Ed") && Arrays.equals(Ed25519.raw(key), rawEd25519))) {
                throw new RefusedException(ErrorCode.FORBIDDEN, "this DTLS session is authenticated with another key than " + whose);
            }
        }
    }

    /** A resource whose GET and POST run a handler and map its failures to CoAP codes. */
    private static class Handler extends CoapResource {
        private PostHandler post;
        private GetHandler get;

        Handler(String name) {
            super(name);
        }

        Handler onPost(PostHandler post) {
            this.post = post;
            return this;
        }

        Handler onGet(GetHandler get) {
            this.get = get;
            return this;
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            if (post == null) {
                super.handlePOST(exchange);
                return;
            }
            Peer peer = Peer.of(exchange);
            respond(exchange, ResponseCode.CHANGED, p -> post.handle(exchange.getRequestPayload(), p), peer);
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            if (get == null) {
                super.handleGET(exchange);
                return;
            }
            respond(exchange, ResponseCode.CONTENT, get, Peer.of(exchange));
        }
    }

    static void respond(CoapExchange exchange, ResponseCode success, GetHandler work, Peer peer) {
        try {
            exchange.respond(success, work.handle(peer), MediaTypeRegistry.APPLICATION_CBOR);
        } catch (MalformedMessageException e) {
            exchange.respond(ResponseCode.BAD_REQUEST, e.getMessage(), MediaTypeRegistry.TEXT_PLAIN);
        } catch (SignedRequest.SignatureException e) {
            exchange.respond(ResponseCode.UNAUTHORIZED, e.getMessage(), MediaTypeRegistry.TEXT_PLAIN);
        } catch (RefusedException e) {
            ResponseCode code = ResponseCode.valueOf(e.code().codeClass << 5 | e.code().codeDetail);
            exchange.respond(code, e.getMessage(), MediaTypeRegistry.TEXT_PLAIN);
        } catch (RuntimeException e) {
            LOG.error("request to {} failed", exchange.advanced().getRequest().getURI(), e);
            exchange.respond(ResponseCode.INTERNAL_SERVER_ERROR, "the hub failed; see its log", MediaTypeRegistry.TEXT_PLAIN);
        }
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
                Optional<Federation.LinkedHub> home = vouchers.holds(voucher.channel()) ? Optional.empty()
                        : federation.passedTo(voucher.channel());
                stored = home.isPresent()
                        ? CompletableFuture.supplyAsync(() -> federation.forwardVoucher(home.get(), payload), federation.calls())
                        : vouchers.submit(voucher).thenApply(ChannelStatus::encode);
            } catch (RuntimeException malformed) {
                stored = CompletableFuture.failedFuture(malformed);
            }
            stored.whenComplete((status, failure) -> (failure == null ? metrics.vouchersAccepted : metrics.vouchersRefused).increment());
            respondWhenDone(exchange, stored);
        }
    }

    /** {@code devices/ID/assignment}: what the device should be doing now, for its own key only. */
    private final class AssignmentResource extends CoapResource {
        AssignmentResource() {
            super(Paths.ASSIGNMENT);
            setVisible(false);
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            answerDevice(exchange, device -> services.rentals().assignment(device.id).encode());
        }
    }

    /**
     * {@code devices/ID/assignment-version}, observable: one resource for all devices, each observing its own.
     * A notification carries only the version (the device then GETs its assignment), so what Californium keeps
     * per observation does not grow with the rental's keys. A change notifies only the device it is for, found
     * from each observation's request path: nothing is kept per observation beyond what Californium keeps.
     */
    private final class AssignmentVersionResource extends CoapResource {
        AssignmentVersionResource() {
            super(Paths.ASSIGNMENT_VERSION);
            setVisible(false);
            setObservable(true);
            setObserveType(Type.CON);
            getAttributes().setObservable();
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            answerDevice(exchange, device -> new AssignmentVersion(services.rentals().assignment(device.id).version()).encode());
        }

        void changed(String deviceId) {
            changed(relation -> deviceId.equals(deviceIdOf(relation.getExchange().getRequest())));
        }
    }

    /** Answers a GET of {@code devices/ID/...} with {@code answer}, to the device's own key only. */
    private void answerDevice(CoapExchange exchange, Function<Device, byte[]> answer) {
        Device device = deviceOf(exchange.advanced().getRequest());
        respond(exchange, ResponseCode.CONTENT, peer -> {
            if (device == null) {
                throw new RefusedException(ErrorCode.NOT_FOUND, "no such device");
            }
            peer.mustBe(device.key, device.whose());
            return answer.apply(device);
        }, Peer.of(exchange));
    }

    interface DevicePost {
        CompletableFuture<byte[]> handle(Device device, byte[] payload, Peer peer);
    }

    /** A report every device posts to {@code devices/ID/NAME}; answered once its work is committed. */
    private final class DeviceReport extends CoapResource {
        private final DevicePost post;

        DeviceReport(String name, DevicePost post) {
            super(name);
            setVisible(false);
            this.post = post;
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            Device device = deviceOf(exchange.advanced().getRequest());
            CompletableFuture<byte[]> done;
            try {
                if (device == null) {
                    throw new RefusedException(ErrorCode.NOT_FOUND, "no such device");
                }
                done = post.handle(device, exchange.getRequestPayload(), Peer.of(exchange));
            } catch (RuntimeException refused) {
                done = CompletableFuture.failedFuture(refused);
            }
            respondWhenDone(exchange, done);
        }
    }

    /** Answers once {@code done} completes: with its payload, or with the error its failure maps to. */
    static void respondWhenDone(CoapExchange exchange, CompletableFuture<byte[]> done) {
        done.whenComplete((payload, failure) -> respond(exchange, ResponseCode.CHANGED, peer -> {
            if (failure != null) {
                throw failure instanceof CompletionException && failure.getCause() instanceof RuntimeException cause ? cause
                        : failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
            }
            return payload;
        }, null));
    }

}
