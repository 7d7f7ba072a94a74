package io.edgerent.systemtests.rental;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.Voucher;
import io.edgerent.systemtests.support.World;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 the hub (its own process) while 100 renters stream vouchers: after the restart every
 * acknowledged voucher is there, each channel's billed time is what it was, the ledger balances, and each
 * channel settles exactly once.
 * The devices are simulated over CoAP: this test is about the hub's durability, not containers.
 */
class HubCrashTest {
    static final int RENTERS = 100;
    static final long DEPOSIT = 1_000_000;
    static final String SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    @TempDir
    Path dir;

    Process hub;
    int coapPort;
    int sshPort;

    /** One simulated renter and what the hub acknowledged to it. */
    static final class Stream {
        final KeyPair renter = Ed25519.generate();
        String device;
        String rental;
        /** The seconds the hub had billed the channel when it was killed (no heartbeat came after). */
        long billedSeconds;

        final AtomicLong ackedSequence = new AtomicLong(-1);
        final AtomicLong ackedAmount = new AtomicLong(0);
    }

    @Test
    void acknowledged_vouchers_survive_kill_9_the_ledger_balances_and_each_channel_settles_once() throws Exception {
        // Bound again after the kill: ports outside the ephemeral range, which no outgoing connection takes meanwhile.
        coapPort = World.freeUdpPort();
        sshPort = World.freePort();
        startHub();
        try {
            walk();
        } finally {
            hub.destroyForcibly();
            hub.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private void walk() throws Exception {
        HubClient client = new HubClient(URI.create("coap://127.0.0.1:" + coapPort), 3000);
        String secret = Files.readString(dir.resolve("hub/admin.secret")).strip();
        List<Stream> streams = new ArrayList<>();
        for (int i = 0; i < RENTERS; i++) {
            Stream s = new Stream();
            String device = simulatedDevice(client, secret);
            s.device = device;
            client.moveMoney(
                    secret,
                    "deposit",
                    "renter:" + java.util.HexFormat.of().formatHex(Ed25519.raw(s.renter.getPublic())),
                    DEPOSIT,
                    "bank-" + i);
            s.rental = client.rent(s.renter, device, 1, SSH_KEY, 3600, DEPOSIT).name();
            heartbeat(device, new Heartbeat(DeviceState.RENTED, s.rental, new Prices(3600, 0)));
            streams.add(s);
        }

        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService renters = Executors.newFixedThreadPool(RENTERS);
        for (Stream s : streams) {
            renters.submit(() -> {
                long sequence = 0;
                while (running.get()) {
                    long amount = sequence * 7;
                    try {
                        client.pay(Voucher.sign(s.renter, s.rental, amount, sequence, System.currentTimeMillis()));
                        s.ackedSequence.set(sequence);
                        s.ackedAmount.set(amount);
                        sequence++;
                    } catch (RuntimeException hubGone) {
                        return;
                    }
                }
            });
        }
        awaitTrue(
                Duration.ofSeconds(30),
                "vouchers acknowledged on every channel",
                () -> streams.stream().allMatch(s -> s.ackedSequence.get() >= 3));
        // Every device serves its rental for a while (the meter runs on its liveness row, device_heard): what the hub
        // billed before the kill, it bills after the restart. Heartbeats until each channel has billed 2 s or more.
        awaitTrue(Duration.ofSeconds(60), "every channel billed for 2 s of service", () -> {
            try {
                for (Stream s : streams) {
                    heartbeat(s.device, new Heartbeat(DeviceState.RENTED, s.rental, new Prices(3600, 0)));
                }
                for (Stream s : streams) {
                    s.billedSeconds = client.channel(s.renter, s.rental).billedSeconds();
                }
                return streams.stream().allMatch(s -> s.billedSeconds >= 2);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        hub.destroyForcibly(); // SIGKILL, mid-stream
        hub.waitFor(20, TimeUnit.SECONDS);
        running.set(false);
        renters.shutdown();
        assertTrue(renters.awaitTermination(60, TimeUnit.SECONDS));
        long acknowledged =
                streams.stream().mapToLong(s -> s.ackedSequence.get() + 1).sum();

        startHub();
        for (Stream s : streams) {
            ChannelStatus after = client.channel(s.renter, s.rental);
            assertTrue(
                    after.lastSequence() >= s.ackedSequence.get(),
                    s.rental + ": acknowledged voucher " + s.ackedSequence.get() + " lost, hub has "
                            + after.lastSequence());
            assertTrue(after.paid() >= s.ackedAmount.get(), s.rental + ": paid went back");
            assertEquals(s.billedSeconds, after.billedSeconds(), s.rental + ": billed time, as before the kill");
        }
        for (Stream s : streams) {
            client.end(s.renter, s.rental);
            client.end(s.renter, s.rental); // a second end settles nothing
        }
        hub.destroy();
        assertTrue(hub.waitFor(30, TimeUnit.SECONDS), "the hub stops on SIGTERM");

        try (Connection db = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("hub/hub"), "edgerent", "")) {
            assertEquals(0, single(db, "SELECT COALESCE(SUM(amount), 0) FROM ledger_entry"), "the ledger balances");
            assertEquals(
                    0,
                    single(
                            db,
                            "SELECT COUNT(*) FROM (SELECT tx_id FROM ledger_entry GROUP BY tx_id HAVING SUM(amount) <> 0)"));
            assertEquals(
                    RENTERS,
                    single(db, "SELECT COUNT(*) FROM ledger_tx WHERE ref LIKE 'settle:%'"),
                    "each channel settled once");
            assertEquals(0, single(db, "SELECT COUNT(*) FROM channel WHERE owner_share + hub_fee + refund <> deposit"));
            for (Stream s : streams) {
                try (PreparedStatement q =
                        db.prepareStatement("SELECT paid, last_sequence, voucher_issued_at, voucher_signature"
                                + " FROM channel WHERE rental = ?")) {
                    q.setString(1, s.rental);
                    try (ResultSet r = q.executeQuery()) {
                        assertTrue(r.next());
                        Voucher stored = new Voucher(s.rental, r.getLong(1), r.getLong(2), r.getLong(3), r.getBytes(4));
                        assertTrue(
                                stored.sequence() >= s.ackedSequence.get(),
                                s.rental + ": the latest acknowledged voucher is stored");
                        assertTrue(
                                stored.verifies(Ed25519.raw(s.renter.getPublic())),
                                s.rental + ": the stored voucher is the renter's");
                    }
                }
            }
            System.out.printf(
                    "crash test: %d vouchers acknowledged on %d channels before kill -9%n", acknowledged, RENTERS);
        }
    }

    private void startHub() throws Exception {
        Path log = dir.resolve("hub.log");
        hub = new ProcessBuilder(
                        "java",
                        "-jar",
                        World.ROOT.resolve("hub/target/edgerent-hub.jar").toString(),
                        "--data",
                        dir.resolve("hub").toString(),
                        "--coap-port",
                        String.valueOf(coapPort),
                        "--ssh-port",
                        String.valueOf(sshPort),
                        "--coaps-port",
                        "0",
                        "--metrics",
                        "127.0.0.1:0")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long runningLines = Files.exists(log)
                ? Files.readAllLines(log).stream()
                        .filter(l -> l.startsWith("hub running"))
                        .count()
                : 0;
        awaitTrue(Duration.ofSeconds(30), "the hub to start", () -> {
            try {
                return Files.readAllLines(log).stream()
                                .filter(l -> l.startsWith("hub running"))
                                .count()
                        > runningLines;
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    private String simulatedDevice(HubClient client, String secret) throws Exception {
        String token = client.issueToken(secret, "olga");
        CoapClient coap = new CoapClient(URI.create("coap://127.0.0.1:" + coapPort + "/devices"));
        try {
            byte[] answer = coap.post(
                            new Registration(
                                            token,
                                            Ed25519.raw(Ed25519.generate().getPublic()),
                                            new HardwareFacts(4, "sim", 1, 1, "aarch64", "simulated", 1))
                                    .encode(),
                            MediaTypeRegistry.APPLICATION_CBOR)
                    .getPayload();
            String device = RegistrationAccepted.decode(answer).deviceId();
            heartbeat(device, new Heartbeat(DeviceState.LISTED, null, new Prices(3600, 0)));
            return device;
        } finally {
            coap.shutdown();
        }
    }

    private void heartbeat(String device, Heartbeat heartbeat) throws Exception {
        CoapClient coap =
                new CoapClient(URI.create("coap://127.0.0.1:" + coapPort + "/devices/" + device + "/heartbeat"));
        try {
            coap.post(heartbeat.encode(), MediaTypeRegistry.APPLICATION_CBOR);
        } finally {
            coap.shutdown();
        }
    }

    private static long single(Connection db, String sql) throws Exception {
        try (ResultSet rs = db.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
