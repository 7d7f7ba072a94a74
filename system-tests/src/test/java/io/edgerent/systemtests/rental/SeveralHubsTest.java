package io.edgerent.systemtests.rental;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.store.Postgres;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hub processes on one PostgreSQL (from Debian's packages, started by the test) serve one fleet:
 * hub A on 127.0.0.2, hub B on 127.0.0.3, same ports, the same key. A device registers through A with
 * a token B issued; a renter on B rents it, the device (observing at A) hears at once, and the renter's
 * ssh and browser traffic through B is relayed to the tunnel at A. A is then killed with SIGKILL; the
 * device, given both hubs' addresses (A first), turns to B by itself and brings the same container
 * back through B, and the rental settles once.
 */
class SeveralHubsTest {
    static final String A = "127.0.0.2";
    static final String B = "127.0.0.3";

    @TempDir
    Path dir;

    final List<Process> processes = new ArrayList<>();
    final int coapsPort = World.freePort();
    final int sshPort = World.freePort();
    final int httpPort = World.freePort();
    final int httpsPort = World.freePort();
    final int tunnelPort = World.freePortBlock(10);
    Postgres postgres;
    Process device;
    String deviceId;

    @AfterEach
    void stop() throws Exception {
        World.stopAndKeepLogs(processes, dir, deviceId == null ? List.of() : List.of(deviceId), "several-hubs");
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void two_hubs_on_one_postgresql_serve_one_fleet_and_a_device_and_its_renter_follow_when_a_hub_dies()
            throws Exception {
        postgres = Postgres.start();
        String db = postgres.newDatabase();
        Process hubA = startHub("hub-a", A, db);
        awaitLog("hub-a.log", "hub running");

        // A hub with a key of its own is refused: devices pin one key for the whole fleet.
        Process stranger = hub("hub-c", "127.0.0.4", db);
        assertTrue(stranger.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, stranger.exitValue());
        assertTrue(
                Files.readString(dir.resolve("hub-c.log"))
                        .contains("is not the key of the other hubs on this database"),
                Files.readString(dir.resolve("hub-c.log")));

        Files.createDirectories(dir.resolve("hub-b"));
        Files.copy(dir.resolve("hub-a/ssh_host_ecdsa_key"), dir.resolve("hub-b/ssh_host_ecdsa_key"));
        startHub("hub-b", B, db, "--log-format", "json");
        awaitLog("hub-b.log", "hub running");

        Path owner = dir.resolve("owner");
        // A list with a repeat, or mixing DTLS and plain CoAP, is refused whole before anything is sent.
        for (String bad : List.of(
                bothHubs() + ",coaps://" + A + ":" + coapsPort,
                "coaps://" + A + ":" + coapsPort + ",coap://127.0.0.1:5683")) {
            World.Result refused = World.cliAt(bad, owner, "market");
            assertEquals(2, refused.code(), refused.err());
            assertTrue(refused.err().contains("several of one fleet separated by commas"), refused.err());
        }
        String token = cli(
                        owner,
                        B,
                        "token",
                        "--owner",
                        "olga",
                        "--admin-secret",
                        dir.resolve("hub-b/admin.secret").toString())
                .strip();
        startDevice(token);
        awaitTrue(
                Duration.ofSeconds(90),
                "the device, registered through A, to be listed free on B",
                () -> cli(owner, B, "market").contains(" free "));
        deviceId = cli(owner, B, "market")
                .lines()
                .skip(1)
                .findFirst()
                .orElseThrow()
                .split("\\s+")[0];

        Files.createDirectories(dir.resolve("renter"));
        Renter renter = new Renter(dir.resolve("renter"), B + ":" + sshPort);
        World.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", renter.key.toString())
                .assertOk();
        String account = cli(renter.home, B, "wallet")
                .lines()
                .filter(l -> l.startsWith("account: "))
                .findFirst()
                .orElseThrow()
                .substring(9);
        cli(
                owner,
                A,
                "wallet",
                "deposit",
                account,
                "100000",
                "--ref",
                "bank-1",
                "--admin-secret",
                dir.resolve("hub-a/admin.secret").toString());
        String rented = cli(
                renter.home,
                B,
                "rent",
                deviceId,
                "--key",
                renter.key + ".pub",
                "--timeout",
                "120",
                "--pay-every",
                "1",
                "--detach");
        String rental = Renter.rentalName(new World.Result(0, rented, ""));
        // The renter pays as it goes, given both hubs, A first. The rent's own first voucher went through B.
        long withTheRent = paid(db, rental);
        Process payer = payer(renter, rental);
        awaitTrue(Duration.ofSeconds(30), "a voucher through A", () -> paid(db, rental) > withTheRent);

        // ssh through B, whose gateway relays to the device's tunnel at A.
        assertEquals(A + ":" + sshPort, tunnelAt(db, deviceId), "the device's tunnel is at A");
        assertEquals(
                rental + "\n",
                renter.ssh(rental, "echo through-b > /root/mark; hostname")
                        .assertOk()
                        .out());
        assertTrue(Files.readString(dir.resolve("hub-b.log")).contains("relaying loopback port"), "B relayed to A");
        // B logs as JSON lines (--log-format json) in the Elastic Common Schema; only its two startup lines on standard
        // output are text.
        boolean relayLogged = false;
        for (String line : Files.readAllLines(dir.resolve("hub-b.log"))) {
            if (line.startsWith("hub running") || line.startsWith("hub key: ")) {
                continue;
            }
            com.google.gson.JsonObject event;
            try {
                event = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
            } catch (RuntimeException e) {
                throw new AssertionError("not a JSON log line: " + line, e);
            }
            for (String field : List.of("@timestamp", "log.level", "message", "log.logger")) {
                assertTrue(event.has(field), "no " + field + " in " + line);
            }
            relayLogged |= event.get("log.logger").getAsString().equals("io.edgerent.hub.gateway.ssh.PeerRelay");
        }
        assertTrue(relayLogged, "B logged its relay");
        // The browser's way through B reaches the container's web server too.
        renter.startWebServer(rental);
        String host = rental + "." + World.DOMAIN;
        awaitTrue(
                Duration.ofSeconds(30),
                "the rental's web page through B",
                () -> World.run(
                                Duration.ofSeconds(20),
                                "curl",
                                "-s",
                                "--resolve",
                                host + ":" + httpPort + ":" + B,
                                "http://" + host + ":" + httpPort + "/")
                        .out()
                        .equals("hello from " + rental + "\n"));

        // A dies mid-rental. The device, A unanswering, turns to B, the next of its hubs, and its tunnel follows; the
        // payer too.
        hubA.destroyForcibly();
        hubA.waitFor(30, TimeUnit.SECONDS);
        long paidThroughA = paid(db, rental);
        awaitTrue(Duration.ofSeconds(60), "vouchers through B", () -> paid(db, rental) > paidThroughA);
        assertTrue(
                Files.readString(dir.resolve("payer.log"))
                        .contains("the next request goes to the hub at coaps://" + B + ":" + coapsPort),
                Files.readString(dir.resolve("payer.log")));
        assertTrue(payer.isAlive(), "the payer goes on");
        awaitTrue(
                Duration.ofSeconds(90),
                "the device's tunnel at B",
                () -> (B + ":" + sshPort).equals(tunnelAt(db, deviceId)));
        String deviceLog = Files.readString(dir.resolve("device.log"));
        assertTrue(deviceLog.contains("trying coaps://" + B + ":" + coapsPort + " next"), deviceLog);
        assertTrue(
                deviceLog.contains("the tunnel of " + rental + " is down and the hub at coaps://" + B + ":" + coapsPort
                        + " answers: the tunnel moves there"),
                deviceLog);
        awaitTrue(Duration.ofSeconds(60), "ssh through B to the same container", () -> {
            World.Result again = renter.ssh(rental, "cat /root/mark");
            return again.code() == 0 && again.out().contains("through-b");
        });

        cli(renter.home, B, "end", rental);
        assertTrue(payer.waitFor(30, TimeUnit.SECONDS), "the payer stops once the rental ends");
        assertEquals(0, payer.exitValue(), Files.readString(dir.resolve("payer.log")));
        // The payer recorded the key of each hub it talked to, A's too, though it ended on B.
        String knownHubs = Files.readString(renter.home.resolve("known_hubs"));
        assertTrue(
                knownHubs.contains(A + ":" + coapsPort + " ecdsa-sha2-nistp256 ")
                        && knownHubs.contains(B + ":" + coapsPort + " ecdsa-sha2-nistp256 "),
                knownHubs);
        awaitTrue(
                Duration.ofSeconds(90),
                "the wipe record",
                () -> cliResult(renter.home, B, "wipe", rental).code() == 0);
        try (Connection c = DriverManager.getConnection(db);
                Statement s = c.createStatement()) {
            assertEquals(
                    1, count(s, "SELECT COUNT(*) FROM ledger_tx WHERE ref = 'settle:" + rental + "'"), "settled once");
            assertEquals(0, count(s, "SELECT COALESCE(SUM(amount), 0) FROM ledger_entry"), "the ledger balances");
            assertEquals(
                    0,
                    count(
                            s,
                            "SELECT COUNT(*) FROM (SELECT tx_id FROM ledger_entry GROUP BY tx_id HAVING SUM(amount) <> 0) t"),
                    "every transaction balances");
        }
        assertNotEquals(0, hubA.exitValue(), "A was killed, not stopped");
    }

    private Process startHub(String name, String bind, String db, String... more) throws IOException {
        Process p = hub(name, bind, db, more);
        processes.add(p);
        return p;
    }

    private Process hub(String name, String bind, String db, String... more) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                "java",
                "-jar",
                World.ROOT.resolve("hub/target/edgerent-hub.jar").toString(),
                "--data",
                dir.resolve(name).toString(),
                "--db",
                db,
                "--bind",
                bind,
                "--coaps-port",
                String.valueOf(coapsPort),
                "--coap-port",
                "0",
                "--ssh-port",
                String.valueOf(sshPort),
                "--http-port",
                String.valueOf(httpPort),
                "--https-port",
                String.valueOf(httpsPort),
                "--tunnel-ports",
                tunnelPort + "-" + (tunnelPort + 9),
                "--domain",
                World.DOMAIN,
                "--metrics",
                "127.0.0.1:0"));
        command.addAll(List.of(more));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
    }

    /** Both hubs, A first. */
    private String bothHubs() {
        return "coaps://" + A + ":" + coapsPort + ",coaps://" + B + ":" + coapsPort;
    }

    /** The device, given both hubs; an hour costs 3,600, so a voucher goes every second. */
    private void startDevice(String token) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                "java",
                "-jar",
                World.DEVICE_JAR.toString(),
                "--hub",
                bothHubs(),
                "--data",
                dir.resolve("device").toString(),
                "--heartbeat",
                "1",
                "--price-per-hour",
                "3600",
                "--token",
                token));
        device = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("device.log").toFile()))
                .start();
        processes.add(device);
    }

    /** `edgerent pay` for the renter's rental, given both hubs, a voucher every second; its output in payer.log. */
    private Process payer(Renter renter, String rental) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(
                        "java",
                        "-jar",
                        World.CLIENT_JAR.toString(),
                        "pay",
                        rental,
                        "--pay-every",
                        "1",
                        "--hub",
                        bothHubs())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("payer.log").toFile()));
        pb.environment().put("EDGERENT_HOME", renter.home.toString());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** What the renter has paid into the rental's channel, as the shared database has it. */
    private static long paid(String db, String rental) {
        try (Connection c = DriverManager.getConnection(db);
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT paid FROM channel WHERE rental = '" + rental + "'")) {
            return r.next() ? r.getLong(1) : 0;
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    private void awaitLog(String log, String line) {
        awaitTrue(Duration.ofSeconds(60), line + " in " + log, () -> {
            try {
                return Files.readString(dir.resolve(log)).contains(line);
            } catch (IOException e) {
                return false;
            }
        });
    }

    private String cli(Path home, String hub, String... args) {
        World.Result r = cliResult(home, hub, args);
        r.assertOk();
        return r.out();
    }

    private World.Result cliResult(Path home, String hub, String... args) {
        return World.cliAt("coaps://" + hub + ":" + coapsPort, home, args);
    }

    private static String tunnelAt(String db, String deviceId) {
        try (Connection c = DriverManager.getConnection(db);
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT tunnel_at FROM device WHERE id = '" + deviceId + "'")) {
            return r.next() ? r.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static long count(Statement s, String sql) throws java.sql.SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
