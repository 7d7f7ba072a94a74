package io.edgerent.systemtests.payment;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.UsageReport;
import io.edgerent.systemtests.support.Metrics;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device that lies about usage, against a real hub and the real command line. The device is this test: it registers
 * with an owner's token and its own Ed25519 key, heartbeats and reports over its own DTLS session, and signs its
 * reports with its real key, as a device whose owner changed its software would. It serves a rental at 1 per second
 * and 1 per GB, then reports a petabyte of egress, more online time than has passed, and usage of a rental it does not
 * serve. Each is refused with the reason, marks the device on the market and counts in /metrics; the renter, who
 * deposited 3,600, pays for the seconds served and nothing for the lies.
 */
class LyingDeviceTest {
    private static final Prices PRICES = new Prices(3600, 1);

    @TempDir
    Path dir;

    @Test
    void a_device_claiming_a_petabyte_is_refused_marked_and_the_renter_pays_for_the_seconds_served() throws Exception {
        try (World world = new World(dir)) {
            KeyPair key = Ed25519.generate();
            URI hub = URI.create(world.hubUri);
            CoapEndpoint session = Dtls.clientEndpoint(hub, key, HubKeyCheck.any());
            ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
            try {
                String device = RegistrationAccepted.decode(post(
                                session,
                                hub,
                                Paths.DEVICES,
                                new Registration(
                                                world.token("olga"),
                                                Ed25519.raw(key.getPublic()),
                                                new HardwareFacts(
                                                        4, "Cortex-A76", 8L << 30, 32L << 30, "aarch64", "pi", 0))
                                        .encode()))
                        .deviceId();
                // It heartbeats every second, serving whatever rental it is told to.
                String heartbeat = Paths.DEVICES + "/" + device + "/" + Paths.HEARTBEAT;
                beats.scheduleWithFixedDelay(
                        () -> {
                            try {
                                String serving = assignment(session, hub, device);
                                post(
                                        session,
                                        hub,
                                        heartbeat,
                                        new Heartbeat(
                                                        serving == null ? DeviceState.LISTED : DeviceState.RENTED,
                                                        serving,
                                                        PRICES)
                                                .encode());
                            } catch (RuntimeException e) {
                                // the next beat tries again
                            }
                        },
                        0,
                        1,
                        TimeUnit.SECONDS);
                awaitTrue(
                        Duration.ofSeconds(30),
                        "the device listed free",
                        () -> world.cli(dir, "market")
                                .out()
                                .lines()
                                .anyMatch(l -> l.startsWith(device) && l.contains(" free ")));

                Renter renter = world.renter("rita");
                world.depositFor(renter, 100_000);
                String rental = Renter.rentalName(
                        renter.rent(device, "--deposit", "3600", "--max-price", "3600", "--pay-every", "1")
                                .assertOk());
                CompletableFuture<World.Result> paying =
                        CompletableFuture.supplyAsync(() -> world.cli(renter.home, "pay", rental, "--pay-every", "1"));
                awaitTrue(Duration.ofSeconds(20), "two seconds served", () -> {
                    Matcher billed = Pattern.compile(" active \\| .* billed (\\d+) s")
                            .matcher(world.cli(renter.home, "status", rental).out());
                    return billed.find() && Long.parseLong(billed.group(1)) >= 2;
                });

                String usage = Paths.DEVICES + "/" + device + "/" + Paths.USAGE;
                long petabyte = 1_000_000_000_000_000L;
                CoapResponse honest = report(session, hub, key, usage, new UsageReport(rental, 1, 2, 1, 1, 0, 5_000));
                assertEquals(ResponseCode.CHANGED, honest.getCode(), honest.getResponseText());
                // Over its own DTLS session a device's report needs no signature (the session is opened with its key);
                // a signature that is there must verify; over plain loopback CoAP only a signature proves who sent it.
                byte[] second = new UsageReport(rental, 2, 2, 1, 1, 0, 5_500).encode();
                CoapResponse bare = client(session, hub, usage).post(second, MediaTypeRegistry.APPLICATION_CBOR);
                assertEquals(ResponseCode.CHANGED, bare.getCode(), bare.getResponseText());
                byte[] forged = SignedRequest.sign(
                                key,
                                usage,
                                System.currentTimeMillis(),
                                new UsageReport(rental, 3, 2, 1, 1, 0, 9_000).encode())
                        .encode();
                forged[forged.length - 1] ^= 1; // the signature is the map's last entry
                CoapResponse badSignature =
                        client(session, hub, usage).post(forged, MediaTypeRegistry.APPLICATION_CBOR);
                assertEquals(ResponseCode.UNAUTHORIZED, badSignature.getCode(), badSignature.getResponseText());
                CoapEndpoint plain = new CoapEndpoint.Builder().build();
                try {
                    CoapResponse unsignedPlain = client(plain, URI.create(world.plainHubUri), usage)
                            .post(
                                    new UsageReport(rental, 3, 2, 1, 1, 0, 9_000).encode(),
                                    MediaTypeRegistry.APPLICATION_CBOR);
                    assertEquals(ResponseCode.UNAUTHORIZED, unsignedPlain.getCode(), unsignedPlain.getResponseText());
                    assertTrue(
                            unsignedPlain.getResponseText().contains("must be signed"),
                            unsignedPlain.getResponseText());
                } finally {
                    plain.destroy();
                }
                // Where it lands: the hub holds the unsigned report's sequence (2), not the refused ones' (3): the
                // same report again is a conflict, and the next one numbered 3 is judged on its claim (below).
                CoapResponse again = client(session, hub, usage).post(second, MediaTypeRegistry.APPLICATION_CBOR);
                assertEquals(ResponseCode.CONFLICT, again.getCode(), again.getResponseText());
                assertTrue(again.getResponseText().contains("is not after 2"), again.getResponseText());
                CoapResponse huge = report(session, hub, key, usage, new UsageReport(rental, 3, 3, 1, 1, 0, petabyte));
                assertEquals(ResponseCode.UNPROCESSABLE_ENTITY, huge.getCode(), huge.getResponseText());
                assertTrue(
                        huge.getResponseText().contains("no device's link carries more than 125000000 bytes a second"),
                        huge.getResponseText());
                CoapResponse timeless =
                        report(session, hub, key, usage, new UsageReport(rental, 4, 86_400, 1, 1, 0, 6_000));
                assertEquals(ResponseCode.UNPROCESSABLE_ENTITY, timeless.getCode(), timeless.getResponseText());
                assertTrue(timeless.getResponseText().contains("claims 86400 s online"), timeless.getResponseText());
                CoapResponse notMine =
                        report(session, hub, key, usage, new UsageReport("r-00000000beef", 1, 1, 1, 1, 0, petabyte));
                assertEquals(ResponseCode.FORBIDDEN, notMine.getCode(), notMine.getResponseText());

                String market = world.cli(dir, "market").out();
                assertTrue(
                        market.contains("flagged " + device + ": its hub refused an impossible usage report from it:"
                                + " rental r-00000000beef is not served by " + device),
                        market);
                String metrics = Metrics.metrics(world);
                assertEquals(
                        1,
                        Metrics.metric(metrics, "edgerent_usage_reports_refused_total{reason=\"egress_rate\"}"),
                        metrics);
                assertEquals(
                        1,
                        Metrics.metric(metrics, "edgerent_usage_reports_refused_total{reason=\"online_time\"}"),
                        metrics);
                assertEquals(
                        1,
                        Metrics.metric(metrics, "edgerent_usage_reports_refused_total{reason=\"not_served\"}"),
                        metrics);
                assertEquals(1, Metrics.metric(metrics, "edgerent_devices_flagged"));

                world.cli(renter.home, "end", rental).assertOk();
                World.Result paid = paying.get(30, TimeUnit.SECONDS);
                assertEquals(0, paid.code(), paid.out() + paid.err());
                World.Result status = world.cli(renter.home, "status", rental).assertOk();
                Matcher settled = Pattern.compile(
                                "settled: due (\\d+), paid (\\d+); owner (\\d+), hub fee (\\d+), refunded to you (\\d+)")
                        .matcher(status.out());
                assertTrue(settled.find(), status.out());
                long due = Long.parseLong(settled.group(1));
                long owner = Long.parseLong(settled.group(3));
                long fee = Long.parseLong(settled.group(4));
                long refund = Long.parseLong(settled.group(5));
                assertTrue(due > 0 && due < 60, "seconds served at one a second, no egress billed: " + status.out());
                assertEquals(due, owner + fee, "charged exactly what was due");
                assertEquals(3600, owner + fee + refund);
                assertEquals(
                        "balance: " + (100_000 - due),
                        world.cli(renter.home, "wallet")
                                .out()
                                .lines()
                                .filter(l -> l.startsWith("balance: "))
                                .findFirst()
                                .orElseThrow());
                assertTrue(
                        status.out()
                                .contains("you agreed to: 3600 per hour for " + due + " s served, 1 per GB for"
                                        + " 0.000 GB of egress (cap 10.000 GB)"),
                        status.out());
            } finally {
                beats.shutdownNow();
                session.destroy();
            }
        }
    }

    private static String assignment(CoapEndpoint session, URI hub, String device) {
        Assignment a = Assignment.decode(get(session, hub, Paths.DEVICES + "/" + device + "/" + Paths.ASSIGNMENT));
        return a.rental() == null ? null : a.rental().name();
    }

    private static CoapResponse report(CoapEndpoint session, URI hub, KeyPair key, String path, UsageReport usage)
            throws Exception {
        CoapClient client = client(session, hub, path);
        return client.post(
                SignedRequest.sign(key, path, System.currentTimeMillis(), usage.encode())
                        .encode(),
                MediaTypeRegistry.APPLICATION_CBOR);
    }

    private static byte[] post(CoapEndpoint session, URI hub, String path, byte[] body) {
        try {
            CoapResponse r = client(session, hub, path).post(body, MediaTypeRegistry.APPLICATION_CBOR);
            if (r == null || !r.isSuccess()) {
                throw new IllegalStateException(path + ": " + (r == null ? "no answer" : r.getResponseText()));
            }
            return r.getPayload();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] get(CoapEndpoint session, URI hub, String path) {
        try {
            CoapResponse r = client(session, hub, path).get();
            if (r == null || !r.isSuccess()) {
                throw new IllegalStateException(path + ": " + (r == null ? "no answer" : r.getResponseText()));
            }
            return r.getPayload();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static CoapClient client(CoapEndpoint session, URI hub, String path) {
        CoapClient client = new CoapClient(hub.resolve("/" + path));
        client.setEndpoint(session);
        client.setTimeout(10_000L);
        return client;
    }
}
