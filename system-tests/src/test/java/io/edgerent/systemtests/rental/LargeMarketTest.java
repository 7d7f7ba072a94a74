package io.edgerent.systemtests.rental;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgerent.client.HubClient;
import io.edgerent.hub.Hub;
import io.edgerent.hub.testing.FreePorts;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Registration;
import io.edgerent.systemtests.support.World;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A market larger than one CoAP message, and than Californium's default 8 KiB body: the hub answers
 * in blocks and the command line reads them all, over DTLS. (Devices are registered over plain
 * loopback CoAP with keys of the test's own; none of them runs: they are listed offline.)
 */
class LargeMarketTest {
    static final int DEVICES = 150;

    @TempDir
    Path dir;

    @Test
    void a_market_of_150_devices_is_read_whole() throws Exception {
        // Two tunnel ports per device are reserved at registration (not bound until it forwards).
        try (Hub hub = Hub.start(FreePorts.hub(dir.resolve("hub"))
                        .tunnelPorts(20000, 20000 + 2 * DEVICES)
                        .build());
                HubClient admin = new HubClient(URI.create("coap://127.0.0.1:" + hub.coapPort()), 10_000)) {
            String secret = Files.readString(dir.resolve("hub/admin.secret")).strip();
            CoapClient register =
                    new CoapClient(URI.create("coap://127.0.0.1:" + hub.coapPort() + "/" + Paths.DEVICES));
            try {
                for (int i = 0; i < DEVICES; i++) {
                    byte[] body = new Registration(
                                    admin.issueToken(secret, "fleet"),
                                    Ed25519.raw(Ed25519.generate().getPublic()),
                                    new HardwareFacts(
                                            4,
                                            "Cortex-A72",
                                            4L << 30,
                                            32L << 30,
                                            "aarch64",
                                            "Raspberry Pi 4 Model B Rev 1.4",
                                            1000))
                            .encode();
                    CoapResponse answer = register.post(body, MediaTypeRegistry.APPLICATION_CBOR);
                    assertEquals(
                            true,
                            answer != null && answer.isSuccess(),
                            answer == null ? "no answer" : answer.getResponseText());
                }
            } finally {
                register.shutdown();
            }
            String secure = "coaps://127.0.0.1:" + hub.coapsPort();
            try (HubClient renter = new HubClient(URI.create(secure), 10_000)) {
                java.util.List<Listing> listings = renter.listings();
                assertEquals(DEVICES, listings.size());
            }
            World.Result market =
                    World.cliAt(secure, dir.resolve("anyone"), "market").assertOk();
            assertEquals(DEVICES + 1, market.out().lines().count(), "a header and every device");
            assertEquals(
                    DEVICES,
                    market.out()
                            .lines()
                            .filter(l -> l.matches("d-[0-9a-f]{12} +free +fleet .*"))
                            .count(),
                    market.out().lines().skip(1).findFirst().orElse(""));
        }
    }
}
