package io.edgerent.systemtests.dtls;

import static io.edgerent.systemtests.support.Metrics.metric;
import static io.edgerent.systemtests.support.Metrics.metrics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.client.HubClient;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.Voucher;
import io.edgerent.systemtests.support.World;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub's CoAP over DTLS with real Scandium clients holding keys of this test's making: who may
 * act as whom, anti-replay, sessions kept across a restart, and what /metrics and /health say.
 */
class DtlsTest {
    @TempDir
    Path dir;

    /**
     * A key the hub does not know acting as a device, a renter acting with a device's key, and a
     * renter's request over another key's session: each refused with 4.03, and nothing changes.
     */
    @Test
    void keys_acting_as_someone_else_are_refused_and_change_nothing() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            String market = world.cli(dir, "market").assertOk().out();
            KeyPair deviceKey = new KeyPair(
                    Ed25519.publicKey(Files.readAllBytes(dir.resolve("device/agent/device.pub"))),
                    Ed25519.privateKey(Files.readAllBytes(dir.resolve("device/agent/device.key"))));
            KeyPair stranger = Ed25519.generate();

            // A stranger heartbeats as the device, saying it is off the market, and asks for its assignment.
            byte[] offMarket = new Heartbeat(DeviceState.LISTED, null, new Prices(1, 1), false).encode();
            assertRefused(
                    post(world, stranger, Paths.DEVICES + "/" + device + "/" + Paths.HEARTBEAT, offMarket),
                    "another key than device " + device);
            assertRefused(
                    get(world, stranger, Paths.DEVICES + "/" + device + "/" + Paths.ASSIGNMENT),
                    "another key than device");
            assertRefused(
                    get(world, stranger, Paths.DEVICES + "/" + device + "/" + Paths.ASSIGNMENT_VERSION),
                    "another key than device");

            // The device's own key, used as a renter's: refused even though the signature and the session agree.
            String sshKey =
                    SshKeys.ed25519AuthorizedKey(Ed25519.raw(Ed25519.generate().getPublic()));
            byte[] rent = new RentRequest(device, 1, sshKey, 1_000_000, 1000).encode();
            assertRefused(
                    post(
                            world,
                            deviceKey,
                            Paths.RENTALS,
                            SignedRequest.sign(deviceKey, Paths.RENTALS, System.currentTimeMillis(), rent)
                                    .encode()),
                    "registered device's");

            // A renter's signed request carried over a session of another key.
            KeyPair renter = Ed25519.generate();
            assertRefused(
                    post(
                            world,
                            stranger,
                            Paths.RENTALS,
                            SignedRequest.sign(renter, Paths.RENTALS, System.currentTimeMillis(), rent)
                                    .encode()),
                    "another key than the renter");

            assertEquals(
                    market,
                    world.cli(dir, "market").assertOk().out(),
                    "the device is listed as before, free, same prices");
            assertTrue(
                    metric(world, "edgerent_coap_errors_total{class=\"4\",transport=\"dtls\"}") == 5, metrics(world));
        }
    }

    /**
     * Devices observe their assignments' versions on one resource the hub shares among all of them: renting
     * one device notifies that device over its own session, and no other; the device then reads its assignment.
     */
    @Test
    void a_rental_notifies_the_observation_of_its_device_only() throws Exception {
        try (World world = new World(dir)) {
            List<KeyPair> keys = List.of(Ed25519.generate(), Ed25519.generate());
            List<CoapEndpoint> endpoints = new ArrayList<>();
            List<java.util.concurrent.LinkedBlockingQueue<AssignmentVersion>> heard = new ArrayList<>();
            List<CoapClient> observers = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            try {
                for (KeyPair key : keys) {
                    CoapEndpoint endpoint = Dtls.clientEndpoint(URI.create(world.hubUri), key, HubKeyCheck.any());
                    endpoints.add(endpoint);
                    String id = RegistrationAccepted.decode(call(
                                            world,
                                            endpoint,
                                            Paths.DEVICES,
                                            c -> c.post(
                                                    new Registration(
                                                                    world.token("olga"),
                                                                    Ed25519.raw(key.getPublic()),
                                                                    new HardwareFacts(
                                                                            4,
                                                                            "Cortex-A72",
                                                                            4L << 30,
                                                                            32L << 30,
                                                                            "aarch64",
                                                                            "Raspberry Pi 4",
                                                                            1000))
                                                            .encode(),
                                                    MediaTypeRegistry.APPLICATION_CBOR))
                                    .getPayload())
                            .deviceId();
                    ids.add(id);
                    call(
                            world,
                            endpoint,
                            Paths.DEVICES + "/" + id + "/" + Paths.HEARTBEAT,
                            c -> c.post(
                                    new Heartbeat(DeviceState.LISTED, null, new Prices(3600, 0)).encode(),
                                    MediaTypeRegistry.APPLICATION_CBOR));
                    var queue = new java.util.concurrent.LinkedBlockingQueue<AssignmentVersion>();
                    heard.add(queue);
                    CoapClient observer = new CoapClient(
                            URI.create(world.hubUri + "/" + Paths.DEVICES + "/" + id + "/" + Paths.ASSIGNMENT_VERSION));
                    observer.setEndpoint(endpoint);
                    observers.add(observer);
                    observer.observeAndWait(new org.eclipse.californium.core.CoapHandler() {
                        @Override
                        public void onLoad(CoapResponse response) {
                            queue.add(AssignmentVersion.decode(response.getPayload()));
                        }

                        @Override
                        public void onError() {
                            // counted by what the queue misses
                        }
                    });
                    assertNotNull(
                            queue.poll(10, java.util.concurrent.TimeUnit.SECONDS), "the observation's first answer");
                    assertNull(assignment(world, endpoint, id).rental(), "free at first");
                }
                KeyPair renter = Ed25519.generate();
                try (HubClient admin = new HubClient(URI.create(world.plainHubUri), 10_000);
                        HubClient client = new HubClient(URI.create(world.hubUri), 10_000, renter, HubKeyCheck.any())) {
                    admin.moveMoney(
                            Files.readString(dir.resolve("hub/admin.secret")).strip(),
                            "deposit",
                            "renter:" + java.util.HexFormat.of().formatHex(Ed25519.raw(renter.getPublic())),
                            10_000,
                            "bank-1");
                    String rental = client.rent(
                                    renter,
                                    ids.get(0),
                                    1,
                                    SshKeys.ed25519AuthorizedKey(
                                            Ed25519.raw(Ed25519.generate().getPublic())),
                                    3600,
                                    3600)
                            .name();
                    assertNull(
                            heard.get(0).poll(1, java.util.concurrent.TimeUnit.SECONDS),
                            "nothing to tell the device before the first voucher");
                    client.pay(Voucher.sign(renter, rental, 2, 0, System.currentTimeMillis()));
                    AssignmentVersion told = heard.get(0).poll(10, java.util.concurrent.TimeUnit.SECONDS);
                    assertNotNull(told, "the rented device was notified");
                    Assignment read = assignment(world, endpoints.get(0), ids.get(0));
                    assertEquals(told.version(), read.version(), "the version announced is the one read");
                    assertEquals(rental, read.rental().name());
                }
                assertNull(
                        heard.get(1).poll(2, java.util.concurrent.TimeUnit.SECONDS), "the other device heard nothing");
            } finally {
                observers.forEach(CoapClient::shutdown);
                endpoints.forEach(CoapEndpoint::destroy);
            }
        }
    }

    /** Device {@code id}'s assignment, read over its own session as its agent does after a notification. */
    private static Assignment assignment(World world, CoapEndpoint endpoint, String id) throws Exception {
        return Assignment.decode(
                call(world, endpoint, Paths.DEVICES + "/" + id + "/" + Paths.ASSIGNMENT, CoapClient::get)
                        .getPayload());
    }

    /** One request to {@code path} over {@code endpoint}'s session; it must succeed. */
    private static CoapResponse call(World world, CoapEndpoint endpoint, String path, Call call) throws Exception {
        CoapResponse response = send(world, endpoint, path, call);
        assertNotNull(response, "no answer from " + path);
        assertTrue(response.isSuccess(), path + ": " + response.getCode() + " " + response.getResponseText());
        return response;
    }

    /** A DTLS record sent again (captured on the wire by a relay) is dropped by the hub's anti-replay window. */
    @Test
    void a_replayed_dtls_record_is_dropped() throws Exception {
        try (World world = new World(dir);
                Nat relay = new Nat(new InetSocketAddress("127.0.0.1", world.coapsPort))) {
            KeyPair renter = Ed25519.generate();
            try (HubClient through = new HubClient(
                    URI.create("coaps://127.0.0.1:" + relay.inside.getLocalPort()), 5000, renter, HubKeyCheck.any())) {
                assertEquals(
                        0,
                        through.wallet(renter).balance(),
                        "a fresh renter's wallet, asked over DTLS through the relay");
            }
            long dropped = metric(world, "edgerent_dtls_records_total{direction=\"received\",result=\"dropped\"}");
            long requests = metric(world, "edgerent_coap_requests_total{transport=\"dtls\"}");
            relay.sendAgain(relay.lastFromClient);
            World.awaitTrue(
                    Duration.ofSeconds(10),
                    "the replayed record dropped",
                    () -> metric(world, "edgerent_dtls_records_total{direction=\"received\",result=\"dropped\"}")
                            == dropped + 1);
            assertEquals(
                    requests,
                    metric(world, "edgerent_coap_requests_total{transport=\"dtls\"}"),
                    "no request reached CoAP");
        }
    }

    /**
     * A device behind a NAT that gives it a new public port mid-session (NAT rebinding) goes on in the
     * same DTLS session: its records carry the connection ID the hub issued, so the hub finds the
     * session by it, not by the address, and answers at the new one. No new handshake.
     */
    @Test
    void a_new_address_mid_session_keeps_the_session_by_its_connection_id() throws Exception {
        try (World world = new World(dir);
                Nat nat = new Nat(new InetSocketAddress("127.0.0.1", world.coapsPort))) {
            KeyPair renter = Ed25519.generate();
            try (HubClient through = new HubClient(
                    URI.create("coaps://127.0.0.1:" + nat.inside.getLocalPort()), 5000, renter, HubKeyCheck.any())) {
                assertEquals(0, through.wallet(renter).balance(), "asked through the NAT");
                long handshakes = metric(world, "edgerent_dtls_handshakes_started_total");
                int before = nat.outsidePort();
                nat.rebind();
                assertNotEquals(before, nat.outsidePort(), "the hub sees the device at a new port");
                assertEquals(
                        0, through.wallet(renter).balance(), "asked again, from the new port, in the same session");
                assertEquals(handshakes, metric(world, "edgerent_dtls_handshakes_started_total"), "no new handshake");
                assertEquals(1, handshakes);
            }
        }
    }

    /**
     * A NAT (or any UDP relay on the path) on loopback: the client talks to {@link #inside}; the hub sees
     * the NAT's outside port, which {@link #rebind} changes.
     */
    static final class Nat implements AutoCloseable {
        final DatagramSocket inside;
        private final InetSocketAddress hub;
        private volatile DatagramSocket outside;
        private volatile java.net.SocketAddress client;
        /** The last datagram the client sent through the NAT. */
        volatile byte[] lastFromClient;

        Nat(InetSocketAddress hub) throws java.io.IOException {
            this.hub = hub;
            inside = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            outside = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            relay(inside, p -> {
                client = p.getSocketAddress();
                lastFromClient = Arrays.copyOf(p.getData(), p.getLength());
                outside.send(new DatagramPacket(p.getData(), p.getLength(), hub));
            });
            relay(outside, p -> inside.send(new DatagramPacket(p.getData(), p.getLength(), client)));
        }

        /** Sends {@code datagram} to the hub again from the NAT's outside port, as an attacker on the path could. */
        void sendAgain(byte[] datagram) throws java.io.IOException {
            outside.send(new DatagramPacket(datagram, datagram.length, hub));
        }

        int outsidePort() {
            return outside.getLocalPort();
        }

        /** The NAT forgets the mapping and picks a new outside port, as home routers do after a while. */
        void rebind() throws java.io.IOException {
            DatagramSocket old = outside;
            DatagramSocket fresh = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            relay(fresh, p -> inside.send(new DatagramPacket(p.getData(), p.getLength(), client)));
            outside = fresh;
            old.close();
        }

        interface Forward {
            void packet(DatagramPacket p) throws java.io.IOException;
        }

        private static void relay(DatagramSocket from, Forward forward) {
            Thread t = new Thread(
                    () -> {
                        byte[] buffer = new byte[2048];
                        while (!from.isClosed()) {
                            try {
                                DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                                from.receive(p);
                                forward.packet(p);
                            } catch (java.io.IOException e) {
                                return;
                            }
                        }
                    },
                    "nat");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() {
            inside.close();
            outside.close();
        }
    }

    /** Devices with DTLS sessions to a hub that restarts go on without a single new handshake. */
    @Test
    void a_hub_restart_costs_its_devices_no_new_handshake() throws Exception {
        int fleet = 1000;
        ScheduledExecutorService main = Executors.newScheduledThreadPool(4);
        ScheduledExecutorService secondary = Executors.newScheduledThreadPool(2);
        List<CoapEndpoint> devices = new ArrayList<>();
        try (World world = new World(dir)) {
            for (int i = 0; i < fleet; i++) {
                CoapEndpoint endpoint =
                        Dtls.clientEndpoint(URI.create(world.hubUri), Ed25519.generate(), HubKeyCheck.any());
                endpoint.setExecutors(main, secondary);
                endpoint.start();
                devices.add(endpoint);
            }
            askAll(world, devices);
            assertEquals(
                    fleet,
                    metric(world, "edgerent_dtls_handshakes_total{result=\"succeeded\"}"),
                    "one handshake per device");

            world.stopHub();
            assertTrue(Files.exists(dir.resolve("hub/dtls.state")), "the sessions were saved");
            world.startHub();
            long started = System.nanoTime();
            askAll(world, devices);
            System.out.printf(
                    "dtls restart: %d devices answered by the restarted hub in %d ms%n",
                    fleet, (System.nanoTime() - started) / 1_000_000);
            assertEquals(0, metric(world, "edgerent_dtls_handshakes_started_total"), "no device handshook again");
            assertTrue(metric(world, "edgerent_dtls_sessions") >= fleet, metrics(world));
            assertTrue(!Files.exists(dir.resolve("hub/dtls.state")), "the saved sessions are used once, then deleted");
        } finally {
            devices.forEach(CoapEndpoint::destroy);
            main.shutdownNow();
            secondary.shutdownNow();
        }
    }

    /** /metrics in Prometheus text format, /health as JSON; anything else is refused. */
    @Test
    void metrics_and_health_answer_in_their_formats() throws Exception {
        try (World world = new World(dir)) {
            world.registeredDevice();
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + world.hub.metricsPort();
            HttpResponse<String> m = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, m.statusCode());
            assertTrue(
                    m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    m.headers().toString());
            for (String line : m.body().lines().toList()) {
                assertTrue(
                        line.startsWith("# HELP ")
                                || line.startsWith("# TYPE ")
                                || line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*"
                                        + "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\",?)*\\})?"
                                        + " [-+]?([0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|Inf|NaN)"),
                        "not a Prometheus line: " + line);
            }
            assertEquals(1, metric(m.body(), "edgerent_devices_online"), m.body());
            assertEquals(1, metric(m.body(), "edgerent_devices_registered"), m.body());
            assertTrue(m.body().contains("\n# TYPE edgerent_coap_request_duration_seconds histogram\n"), m.body());
            assertTrue(m.body().contains("\n# TYPE jvm_memory_used_bytes gauge\n"), m.body());
            assertTrue(m.body().contains("\n# TYPE edgerent_database_commits_total counter\n"), m.body());
            assertTrue(
                    metric(world, "edgerent_database_commit_pieces_total")
                            >= metric(world, "edgerent_database_commits_total"),
                    m.body());
            HttpResponse<String> h = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, h.statusCode());
            assertTrue(h.body().startsWith("{\"status\":\"up\",\"database\":\"ok\",\"devicesOnline\":1,"), h.body());
            assertEquals(
                    404,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/admin"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            assertEquals(
                    405,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                            .POST(HttpRequest.BodyPublishers.ofString("x"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
        }
    }

    /** Every device asks for the public listings over its own session; all must answer. */
    private static void askAll(World world, List<CoapEndpoint> devices) {
        List<java.util.concurrent.CompletableFuture<CoapResponse>> answers = new ArrayList<>();
        for (CoapEndpoint endpoint : devices) {
            answers.add(java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> {
                        CoapClient c = new CoapClient(URI.create(world.hubUri + "/" + Paths.LISTINGS));
                        c.setEndpoint(endpoint);
                        c.setTimeout(60_000L);
                        try {
                            return c.get();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        } finally {
                            c.shutdown();
                        }
                    },
                    ForkJoinPoolHolder.POOL));
        }
        for (var answer : answers) {
            CoapResponse r = answer.join();
            assertNotNull(r, "a device got no answer");
            assertEquals(ResponseCode.CONTENT, r.getCode());
        }
    }

    private static final class ForkJoinPoolHolder {
        static final java.util.concurrent.ExecutorService POOL = Executors.newFixedThreadPool(64);
    }

    private static void assertRefused(CoapResponse response, String why) {
        assertNotNull(response, "no answer");
        assertEquals(ResponseCode.FORBIDDEN, response.getCode(), response.getResponseText());
        assertTrue(response.getResponseText().contains(why), response.getResponseText());
    }

    private static CoapResponse post(World world, KeyPair key, String path, byte[] payload) throws Exception {
        return exchange(world, key, path, c -> c.post(payload, MediaTypeRegistry.APPLICATION_CBOR));
    }

    private static CoapResponse get(World world, KeyPair key, String path) throws Exception {
        return exchange(world, key, path, CoapClient::get);
    }

    private interface Call {
        CoapResponse send(CoapClient client) throws Exception;
    }

    /** One request over a fresh DTLS session authenticated with {@code key}. */
    private static CoapResponse exchange(World world, KeyPair key, String path, Call call) throws Exception {
        CoapEndpoint endpoint = Dtls.clientEndpoint(URI.create(world.hubUri), key, HubKeyCheck.any());
        try {
            return send(world, endpoint, path, call);
        } finally {
            endpoint.destroy();
        }
    }

    /** One request to {@code path} over {@code endpoint}'s session, whatever its answer. */
    private static CoapResponse send(World world, CoapEndpoint endpoint, String path, Call call) throws Exception {
        CoapClient c = new CoapClient(URI.create(world.hubUri + "/" + path));
        c.setEndpoint(endpoint);
        c.setTimeout(10_000L);
        try {
            return call.send(c);
        } finally {
            c.shutdown();
        }
    }
}
