package io.edgerent.systemtests.federation;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.HomeProof;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedListings;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.Voucher;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A linked hub that lies, against a real hub (A) with a real device and the real command line. The liar is not a hub
 * process: it is a DTLS CoAP server and client holding its own hub key, linked by A's operator, that speaks the
 * federation messages as a dishonest operator's hub would (the honest exchange runs in FederationTest):
 *
 * <ul>
 *   <li>it lists a device of its own, with the device's proof that it is its home, and A's own device, with a proof
 *       signed by a key of its own; A shows only the first, and A's own device as A's;
 *   <li>as the home hub of a rental, it first claims honest amounts, then claims 3,475 due after a few seconds (the
 *       payer stops and signs nothing more), then settles with "refund 0": A keeps for it only the highest voucher
 *       the renter signed, and refunds the rest of the deposit;
 *   <li>as a renter's hub, it rents A's device beyond the credit A's operator gave it: refused.
 * </ul>
 *
 * Every balance is checked to the unit.
 */
class LyingHubTest {
    private static final String LIARS_DEVICE = "d-0123456789ab";
    private static final String SSH_KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    @TempDir
    Path dir;

    private CoapServer liar;

    @AfterEach
    void stop() {
        if (liar != null) {
            liar.destroy();
        }
    }

    @Test
    void a_lying_linked_hub_gets_no_more_than_the_renter_signed_lists_only_its_own_and_stays_within_its_credit()
            throws Exception {
        try (World world = new World(dir)) {
            String own = world.registeredDevice();
            KeyPair key = ecdsa();
            String keyLine = SshKeys.ecdsaP256Line(key.getPublic());
            Liar lies = new Liar(key, keyLine, own);
            int port = World.freeUdpPort();
            liar = lies.serve(port);
            String secret = dir.resolve("hub/admin.secret").toString();
            world.cli(
                            dir,
                            "link",
                            "add",
                            "l",
                            "coaps://127.0.0.1:" + port,
                            keyLine,
                            "--credit",
                            "5000",
                            "--admin-secret",
                            secret)
                    .assertOk();

            // Listings: its own device shows as its; A's own stays A's, once.
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the liar's device on A's market",
                    () -> world.cli(dir, "market").out().contains(LIARS_DEVICE));
            List<String> market = world.cli(dir, "market").out().lines().toList();
            assertEquals(
                    1, market.stream().filter(l -> l.startsWith(own)).count(), "A's device listed once: " + market);
            assertTrue(
                    market.stream().anyMatch(l -> l.startsWith(own) && l.contains(" here ")),
                    "A's device is A's: " + market);

            // A renter of A rents the liar's device, pays as it goes for a few seconds, then the liar lies.
            Renter renter = world.renter("rita");
            world.depositFor(renter, 100_000);
            String rental = Renter.rentalName(
                    renter.rent(LIARS_DEVICE, "--deposit", "3600", "--max-price", "3600", "--pay-every", "1")
                            .assertOk());
            CompletableFuture<World.Result> paying =
                    CompletableFuture.supplyAsync(() -> world.cli(renter.home, "pay", rental, "--pay-every", "1"));
            awaitTrue(Duration.ofSeconds(20), "a few vouchers", () -> lies.vouchers.get() >= 3);
            lies.claimTooMuch.set(true);
            World.Result stopped = paying.get(30, TimeUnit.SECONDS);
            assertEquals(5, stopped.code(), stopped.out() + stopped.err());
            assertTrue(
                    stopped.err().contains("stopped paying: the hub says 3475 is due for rental " + rental),
                    stopped.err());
            long signed = lies.highestVoucher.get();
            assertTrue(signed > 0 && signed < 100, "the renter signed for seconds, not for 3475: " + signed);

            world.cli(renter.home, "end", rental).assertOk();
            // The liar settles with "deposit 3600, refund 0": A refunds all but what the renter signed.
            awaitTrue(
                    Duration.ofSeconds(30),
                    "A to settle the rental with the renter",
                    () -> world.cli(renter.home, "wallet").out().contains("balance: " + (100_000 - signed)));
            String links = world.cli(dir, "link", "list", "--admin-secret", secret)
                    .assertOk()
                    .out();
            assertTrue(
                    links.lines().anyMatch(l -> l.startsWith("l ") && l.matches(".*\\s5000\\s+" + signed + "\\s.*")),
                    "A owes the liar what the renter signed, within its credit: " + links);

            // The liar as a renter's hub: renting A's device beyond its credit is refused, within it accepted.
            KeyPair stranger = Ed25519.generate();
            CoapResponse tooMuch = lies.rentAt(world, stranger, own, 6_000);
            assertEquals(ResponseCode.PRECONDITION_FAILED, tooMuch.getCode(), tooMuch.getResponseText());
            assertTrue(
                    tooMuch.getResponseText().contains("the credit between this hub and linked hub l is 5000"),
                    tooMuch.getResponseText());
            CoapResponse within = lies.rentAt(world, stranger, own, 3_000);
            assertEquals(ResponseCode.CHANGED, within.getCode(), within.getResponseText());
            assertEquals(own, RentalView.decode(within.getPayload()).deviceId());
            String after =
                    world.cli(dir, "link", "list", "--admin-secret", secret).out();
            assertTrue(
                    after.lines()
                            .anyMatch(
                                    l -> l.startsWith("l ") && l.matches(".*\\s5000\\s+" + (3_000 - signed) + "\\s.*")),
                    "the deposit A holds for the liar's renter, less what A owes it: " + after);
            // Never vouched for, that rental ends unserved after A's payment grace and its deposit goes back.
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the unpaid rental to end and its deposit to go back",
                    () -> world.cli(dir, "link", "list", "--admin-secret", secret)
                            .out()
                            .lines()
                            .anyMatch(l -> l.startsWith("l ") && l.matches(".*\\s5000\\s+" + signed + "\\s.*")));
        }
    }

    private static KeyPair ecdsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** The lying hub's side: what it lists, the rental it holds, what the renter's vouchers promised it. */
    private static final class Liar {
        final KeyPair key;
        /** The key of the liar's own device, which signs its home proof. */
        final KeyPair device = Ed25519.generate();

        final String keyLine;
        final String othersDevice;
        final AtomicLong highestVoucher = new AtomicLong();
        final AtomicLong lastSequence = new AtomicLong(-1);
        final AtomicLong vouchers = new AtomicLong();
        final AtomicBoolean claimTooMuch = new AtomicBoolean();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile String rental;
        volatile long rentedAt;
        volatile RentRequest request;

        Liar(KeyPair key, String keyLine, String othersDevice) {
            this.key = key;
            this.keyLine = keyLine;
            this.othersDevice = othersDevice;
        }

        CoapServer serve(int port) {
            Configuration configuration = Dtls.configuration(DtlsRole.BOTH);
            CoapServer server = new CoapServer(configuration);
            server.addEndpoint(new CoapEndpoint.Builder()
                    .setConfiguration(configuration)
                    .setConnector(Dtls.connector(
                            configuration,
                            new InetSocketAddress("127.0.0.1", port),
                            key,
                            StaticNewAdvancedCertificateVerifier.builder()
                                    .setTrustAllRPKs()
                                    .build(),
                            null))
                    .build());
            CoapResource federation = new CoapResource(Paths.FEDERATION);
            federation.add(new CoapResource(Paths.LISTINGS) {
                @Override
                public void handleGET(CoapExchange exchange) {
                    HardwareFacts facts = new HardwareFacts(4, "Cortex-A76", 8L << 30, 32L << 30, "aarch64", "pi", 0);
                    List<Listing> listings = List.of(
                            new Listing(
                                    LIARS_DEVICE,
                                    "mallory",
                                    DeviceState.LISTED,
                                    true,
                                    facts,
                                    new Prices(3600, 1),
                                    Set.of(Template.BASE)),
                            new Listing(
                                    othersDevice,
                                    "mallory",
                                    DeviceState.LISTED,
                                    true,
                                    facts,
                                    new Prices(1, 0),
                                    Set.of(Template.BASE)));
                    long now = System.currentTimeMillis();
                    // Its own device proves its home; for the other hub's device it can only sign with a key of its
                    // own.
                    KeyPair fake = Ed25519.generate();
                    Map<String, HomeProof> proofs = Map.of(
                            LIARS_DEVICE,
                            new HomeProof(
                                    Ed25519.raw(device.getPublic()), HomeProof.sign(device, LIARS_DEVICE, keyLine)),
                            othersDevice,
                            new HomeProof(Ed25519.raw(fake.getPublic()), HomeProof.sign(fake, othersDevice, keyLine)));
                    cbor(exchange, new SignedListings(keyLine, now, now + 60_000, listings, proofs).sign(key));
                }
            });
            federation.add(new CoapResource(Paths.RENT) {
                @Override
                public void handlePOST(CoapExchange exchange) {
                    Fields f = Cbor.decodeMap(exchange.getRequestPayload());
                    SignedRequest signed = SignedRequest.decode(f.bytes("request"));
                    request = RentRequest.from(Cbor.decodeMap(signed.body()));
                    rental = f.text("name");
                    rentedAt = System.currentTimeMillis();
                    cbor(exchange, view(RentalView.ACTIVE).encode());
                }
            });
            federation.add(new CoapResource(Paths.RELAY) {
                @Override
                public void handlePOST(CoapExchange exchange) {
                    String path = Cbor.decodeMap(exchange.getRequestPayload()).text("path");
                    if (path.endsWith("/" + Paths.CHANNEL)) {
                        cbor(exchange, channel().encode());
                    } else if (path.endsWith("/" + Paths.MINE)) {
                        cbor(exchange, RentalView.encodeAll(List.of(view(state()))));
                    } else if (path.endsWith("/" + Paths.END)) {
                        ended.set(true);
                        cbor(exchange, view(RentalView.ENDED).encode());
                    } else {
                        exchange.respond(ResponseCode.NOT_FOUND, "no " + path + " here");
                    }
                }
            });
            federation.add(new CoapResource(Paths.SETTLEMENT) {
                @Override
                public void handlePOST(CoapExchange exchange) {
                    // The lie: the whole deposit kept, whatever the renter signed.
                    cbor(
                            exchange,
                            Cbor.encode(Map.of(
                                    "settled",
                                    ended.get(),
                                    "deposit",
                                    request.deposit(),
                                    "refund",
                                    0L,
                                    "view",
                                    view(state()).encode())));
                }
            });
            server.add(federation);
            server.add(new CoapResource(Paths.VOUCHERS) {
                @Override
                public void handlePOST(CoapExchange exchange) {
                    Voucher v = Voucher.decode(exchange.getRequestPayload());
                    highestVoucher.accumulateAndGet(v.amount(), Math::max);
                    lastSequence.accumulateAndGet(v.sequence(), Math::max);
                    vouchers.incrementAndGet();
                    cbor(exchange, channel().encode());
                }
            });
            server.start();
            return server;
        }

        private String state() {
            return ended.get() ? RentalView.ENDED : RentalView.ACTIVE;
        }

        private RentalView view(String state) {
            return new RentalView(
                    rental, LIARS_DEVICE, state, rentedAt + 3_600_000L, 22, "http://x.test/", 0, Template.BASE);
        }

        /** Honest-looking (one unit per second since renting) until it claims 3,475 due. */
        private ChannelStatus channel() {
            long due = claimTooMuch.get() ? 3_475 : (System.currentTimeMillis() - rentedAt) / 1000;
            return new ChannelStatus(
                    rental,
                    state(),
                    request.deposit(),
                    due,
                    highestVoucher.get(),
                    lastSequence.get(),
                    due,
                    0,
                    new Prices(3600, 1),
                    false,
                    ended.get(),
                    0,
                    0,
                    0,
                    request.maxEgressBytes(),
                    "");
        }

        /** Asks hub A, over DTLS with the liar's key, to open a rental of {@code device} funded by the liar. */
        CoapResponse rentAt(World world, KeyPair renter, String device, long deposit) throws Exception {
            byte[] body = new RentRequest(device, 1, SSH_KEY, 3600, deposit).encode();
            SignedRequest signed = SignedRequest.sign(renter, Paths.RENTALS, System.currentTimeMillis(), body);
            URI hub = URI.create(world.hubUri);
            CoapEndpoint endpoint = Dtls.clientEndpoint(hub, key, HubKeyCheck.any());
            try {
                CoapClient client = new CoapClient(hub.resolve("/" + Paths.FEDERATION + "/" + Paths.RENT));
                client.setEndpoint(endpoint);
                client.setTimeout(10_000L);
                return client.post(
                        Cbor.encode(Map.of(
                                "name",
                                "r-"
                                        + Long.toHexString(System.nanoTime() | (1L << 47))
                                                .substring(0, 12),
                                "request",
                                signed.encode())),
                        MediaTypeRegistry.APPLICATION_CBOR);
            } finally {
                endpoint.destroy();
            }
        }

        private static void cbor(CoapExchange exchange, byte[] payload) {
            exchange.respond(ResponseCode.CONTENT, payload, MediaTypeRegistry.APPLICATION_CBOR);
        }
    }
}
