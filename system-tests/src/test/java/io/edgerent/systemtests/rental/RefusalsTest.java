package io.edgerent.systemtests.rental;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What the hub must refuse, each with a clear error and nothing changed. One hub and device serve every case. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefusalsTest {
    private static final HardwareFacts FACTS = new HardwareFacts(1, "test", 1 << 30, 1 << 30, "amd64", "test", 1);

    @TempDir
    static Path dir;

    World world;
    String device;

    @BeforeAll
    void startWorld() {
        world = new World(dir);
        device = world.registeredDevice();
    }

    @AfterAll
    void stopWorld() throws Exception {
        world.close();
    }

    @Test
    void unknown_and_reused_tokens_are_refused() throws Exception {
        CoapResponse unknown = register(
                "0123456789abcdef0123456789abcdef",
                Ed25519.raw(Ed25519.generate().getPublic()));
        assertEquals(ResponseCode.FORBIDDEN, unknown.getCode());
        assertEquals("registration token is unknown", unknown.getResponseText());

        String token = world.token("alice");
        assertEquals(
                ResponseCode.CHANGED,
                register(token, Ed25519.raw(Ed25519.generate().getPublic())).getCode());
        CoapResponse reused = register(token, Ed25519.raw(Ed25519.generate().getPublic()));
        assertEquals(ResponseCode.FORBIDDEN, reused.getCode());
        assertEquals("registration token was already used", reused.getResponseText());
    }

    @Test
    void a_second_registration_of_the_same_key_is_refused_and_spends_no_token() throws Exception {
        byte[] deviceKey = Files.readAllBytes(dir.resolve("device/agent/device.pub"));
        String token = world.token("alice");
        CoapResponse second = register(token, deviceKey);
        assertEquals(ResponseCode.CONFLICT, second.getCode());
        assertEquals("this device key is already registered as " + device, second.getResponseText());
        assertEquals(
                ResponseCode.CHANGED,
                register(token, Ed25519.raw(Ed25519.generate().getPublic())).getCode(),
                "the refused registration left the token unused");
    }

    @Test
    void malformed_cbor_is_a_bad_request_and_changes_nothing() throws Exception {
        String before = world.cli(dir, "market").out();
        CoapClient client = new CoapClient(URI.create(world.plainHubUri + "/devices"));
        for (byte[] garbage : new byte[][] {{}, {(byte) 0xff}, {(byte) 0xa1, 0x61, 0x61}, "not cbor".getBytes()}) {
            CoapResponse response = client.post(garbage, MediaTypeRegistry.APPLICATION_CBOR);
            assertEquals(ResponseCode.BAD_REQUEST, response.getCode(), Arrays.toString(garbage));
        }
        client.shutdown();
        assertEquals(before, world.cli(dir, "market").out());
    }

    @Test
    void a_replayed_rent_request_is_refused_and_rents_nothing() throws Exception {
        KeyPair renter = Ed25519.generate();
        String sshKey = Files.readString(
                        world.renter("replayer-" + System.nanoTime()).key.resolveSibling("id.pub"))
                .strip();
        byte[] rent = SignedRequest.sign(
                        renter,
                        "rentals",
                        System.currentTimeMillis(),
                        new RentRequest(device, 1, sshKey, 0, 0).encode())
                .encode();
        CoapClient rentals = new CoapClient(URI.create(world.plainHubUri + "/rentals"));
        try {
            CoapResponse first = rentals.post(rent, MediaTypeRegistry.APPLICATION_CBOR);
            assertEquals(ResponseCode.CHANGED, first.getCode(), first.getResponseText());
            String rental = RentalView.decode(first.getPayload()).name();
            byte[] end = SignedRequest.sign(
                            renter, "rentals/end", System.currentTimeMillis(), new RentalRef(rental).encode())
                    .encode();
            new CoapClient(URI.create(world.plainHubUri + "/rentals/end"))
                    .post(end, MediaTypeRegistry.APPLICATION_CBOR);
            awaitTrue(
                    Duration.ofSeconds(60),
                    "the device to be free again",
                    () -> world.cli(dir, "market").out().contains(device + "   free "));

            CoapResponse replay = rentals.post(rent, MediaTypeRegistry.APPLICATION_CBOR);
            assertEquals(ResponseCode.UNAUTHORIZED, replay.getCode());
            assertEquals("this request was already accepted once (replayed)", replay.getResponseText());
            assertTrue(world.cli(dir, "market").out().contains(device + "   free "), "the replay rented nothing");
        } finally {
            rentals.shutdown();
        }
    }

    @Test
    void renting_an_unknown_or_rented_device_is_refused() {
        Renter rita = world.renter("rita-" + System.nanoTime());
        World.Result unknown = rita.rent("d-000000000000");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("no device d-000000000000 on this hub"), unknown.err());

        String rental = Renter.rentalName(rita.rent(device).assertOk());
        try {
            World.Result taken = world.renter("other-" + System.nanoTime()).rent(device);
            assertEquals(1, taken.code());
            assertTrue(taken.err().contains("device " + device + " is rented"), taken.err());
        } finally {
            rita.end(rental).assertOk();
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the device to be free again",
                    () -> world.cli(dir, "market").out().contains(device + "   free "));
        }
    }

    @Test
    void ssh_with_a_key_that_rented_nothing_or_to_another_renters_rental_is_refused() {
        Renter rita = world.renter("rita-" + System.nanoTime());
        Renter mallory = world.renter("mallory-" + System.nanoTime());
        String rental = Renter.rentalName(rita.rent(device).assertOk());
        try {
            rita.ssh(rental, "true").assertOk();
            World.Result wrongKey = mallory.ssh(rental, "true");
            assertNotEquals(0, wrongKey.code());
            assertTrue(wrongKey.err().contains("Permission denied"), wrongKey.err());
            World.Result noSuchRental = mallory.sshAs("r-000000000000", rental, "true");
            assertNotEquals(0, noSuchRental.code());
            // Rita's own login may not jump anywhere but her rental: not the hub itself, not another name.
            World.Result elsewhere = World.run(
                    Duration.ofSeconds(30),
                    "ssh",
                    "-F",
                    rita.home.resolve("ssh_config").toString(),
                    "-p",
                    String.valueOf(world.sshPort),
                    "-W",
                    "127.0.0.1:" + world.tunnelPort,
                    rental + "@127.0.0.1");
            assertNotEquals(0, elsewhere.code());
            assertTrue(elsewhere.err().contains("stdio forwarding failed"), elsewhere.err());
            World.Result shell = World.run(
                    Duration.ofSeconds(30),
                    "ssh",
                    "-F",
                    rita.home.resolve("ssh_config").toString(),
                    "-p",
                    String.valueOf(world.sshPort),
                    rental + "@127.0.0.1",
                    "id");
            assertNotEquals(0, shell.code(), "no command runs on the gateway");
        } finally {
            rita.end(rental).assertOk();
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the device to be free again",
                    () -> world.cli(dir, "market").out().contains(device + "   free "));
        }
    }

    private CoapResponse register(String token, byte[] publicKey) throws Exception {
        CoapClient client = new CoapClient(URI.create(world.plainHubUri + "/devices"));
        try {
            return client.post(new Registration(token, publicKey, FACTS).encode(), MediaTypeRegistry.APPLICATION_CBOR);
        } finally {
            client.shutdown();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String[] concat(String[] base, String... more) {
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }
}
