package io.edgerent.systemtests.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.protocol.Listing;
import io.edgerent.systemtests.support.World;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libcoap's coap-client (Debian's libcoap3-bin, nothing of ours) against the hub: the public
 * listings over DTLS with a raw public key of its own, and a proper CoAP error for a malformed request.
 */
class InteropTest {
    @TempDir
    Path dir;

    @Test
    void libcoap_reads_the_listings_over_dtls_and_gets_a_coap_error_for_a_malformed_request() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--price-per-hour", "4242");
            // coap-client's own identity, used as its raw public key (-M): a P-256 key in SEC1 PEM, as ssh-keygen -m
            // PEM writes it.
            Path key = dir.resolve("coap-client.pem");
            World.run(
                            Duration.ofSeconds(20),
                            "ssh-keygen",
                            "-q",
                            "-t",
                            "ecdsa",
                            "-b",
                            "256",
                            "-m",
                            "PEM",
                            "-N",
                            "",
                            "-f",
                            key.toString())
                    .assertOk();
            Path out = dir.resolve("listings.cbor");

            World.run(
                            Duration.ofSeconds(30),
                            "coap-client-gnutls",
                            "-M",
                            key.toString(),
                            "-m",
                            "get",
                            "-o",
                            out.toString(),
                            world.hubUri + "/listings")
                    .assertOk();
            List<Listing> listings = Listing.decodeAll(Files.readAllBytes(out));
            assertEquals(1, listings.size(), listings.toString());
            assertEquals(device, listings.get(0).deviceId());
            assertEquals(4242, listings.get(0).prices().perHour());

            World.Result malformed = World.run(
                    Duration.ofSeconds(30),
                    "coap-client-gnutls",
                    "-M",
                    key.toString(),
                    "-m",
                    "post",
                    "-t",
                    "60",
                    "-e",
                    "not cbor",
                    world.hubUri + "/rentals");
            assertTrue((malformed.out() + malformed.err()).contains("4.00"), malformed.toString());
            World.Result plain = World.run(
                    Duration.ofSeconds(30),
                    "coap-client-notls",
                    "-m",
                    "post",
                    "-t",
                    "60",
                    "-e",
                    "\u00ff",
                    world.plainHubUri + "/devices");
            assertTrue((plain.out() + plain.err()).contains("4.00"), plain.toString());
            assertEquals(
                    device,
                    world.cli(dir, "market")
                            .assertOk()
                            .out()
                            .lines()
                            .skip(1)
                            .findFirst()
                            .orElseThrow()
                            .split("\\s+")[0],
                    "the hub serves on");
        }
    }
}
