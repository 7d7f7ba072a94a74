package io.edgerent.systemtests.federation;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.SshKeys;
import io.edgerent.systemtests.support.Metrics;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three linked hubs on loopback, each with its own embedded database and key: A (127.0.0.2), B
 * (127.0.0.3) and C (127.0.0.4). A device of B and one of C are listed on A's market, signed by
 * their home hubs. A renter funded at A rents B's device through A: the ssh command leads through
 * B's gateway, vouchers go through A to B, and B settles the channel. Before that, two rents A passes
 * on go unanswered: one B never got (B was down; back, it says so once and for all and A gives the
 * deposit back), one B got late (B was frozen; the rental opens and A learns it). Mid-rental C is killed (its
 * listings go stale on A, then disappear) and A is killed and started again (the rental goes on and
 * A still knows it). At the end the renter's refund is back in the wallet at A, B paid its owner, and
 * the two hubs' clearing accounts mirror each other.
 */
class FederationTest {
    static final Map<String, String> ADDRESS = Map.of("a", "127.0.0.2", "b", "127.0.0.3", "c", "127.0.0.4");
    static final long PER_HOUR = 36_000;

    @TempDir
    Path dir;

    final Map<String, Process> hubs = new HashMap<>();
    final List<Process> processes = new ArrayList<>();
    final List<String> devices = new ArrayList<>();
    final int coapsPort = World.freePort();
    final int sshPort = World.freePort();
    final int httpPort = World.freePort();
    final int httpsPort = World.freePort();
    final int tunnels = World.freePortBlock(30);
    final Map<String, Integer> tunnelPorts = Map.of("a", tunnels, "b", tunnels + 10, "c", tunnels + 20);
    final Map<String, String> keys = new HashMap<>();

    @AfterEach
    void stop() throws Exception {
        World.stopAndKeepLogs(processes, dir, devices, "federation");
    }

    @Test
    void a_renter_on_one_hub_rents_a_device_of_another_and_survives_hubs_going_down() throws Exception {
        for (String hub : List.of("a", "b", "c")) {
            startHub(hub);
        }
        for (String hub : List.of("a", "b", "c")) {
            awaitLog(hub + ".log", "hub key: ");
            keys.put(
                    hub,
                    Files.readString(dir.resolve(hub + ".log"))
                            .lines()
                            .filter(l -> l.startsWith("hub key: "))
                            .findFirst()
                            .orElseThrow()
                            .substring(9)
                            .strip());
        }
        Path operator = dir.resolve("operator");

        // Bad links are refused with a reason and change nothing.
        World.Result badKey =
                cli(operator, "a", "link", "add", "b", uri("b"), "ssh-ed25519 AAAA", "--admin-secret", secret("a"));
        assertEquals(1, badKey.code(), badKey.err());
        assertTrue(badKey.err().contains("hub key:"), badKey.err());
        World.Result own =
                cli(operator, "a", "link", "add", "self", uri("a"), keys.get("a"), "--admin-secret", secret("a"));
        assertTrue(own.err().contains("this hub's own key"), own.err());
        World.Result plain = cli(
                operator,
                "a",
                "link",
                "add",
                "b",
                "coap://127.0.0.3:5683",
                keys.get("b"),
                "--admin-secret",
                secret("a"));
        assertTrue(plain.err().contains("coaps://HOST:PORT"), plain.err());
        World.Result none = cli(operator, "a", "link", "--admin-secret", secret("a"));
        assertTrue(none.out().contains("no hubs linked"), none.out() + none.err());

        // Every pair linked, by each side's operator.
        for (String[] pair : new String[][] {{"a", "b"}, {"a", "c"}, {"b", "c"}}) {
            link(operator, pair[0], pair[1]);
            link(operator, pair[1], pair[0]);
        }

        String deviceB = startDevice("b");
        String deviceC = startDevice("c");
        startDevice("a");
        awaitTrue(Duration.ofSeconds(60), "both devices listed free on A, from their home hubs", () -> {
            String market = cli(operator, "a", "market").out();
            return marketLine(market, deviceB).matches(".* free .* b .*")
                    && marketLine(market, deviceC).matches(".* free .* c .*");
        });
        String links = cli(operator, "a", "link", "list", "--admin-secret", secret("a"))
                .out();
        assertTrue(links.contains(uri("b")) && links.contains(keys.get("c")), links);

        // A hub that is not linked, or a key that is no hub's, gets nothing from the federation resources.
        try (var stranger = new PeerCall(uri("b"), ecdsaKeyPair(), keys.get("b"))) {
            CoapResponse listings = stranger.get(Paths.FEDERATION + "/" + Paths.LISTINGS);
            assertEquals(ResponseCode.FORBIDDEN, listings.getCode(), listings.getResponseText());
        }

        // The renter's money is at A.
        Files.createDirectories(dir.resolve("renter"));
        Renter renter = new Renter(dir.resolve("renter"), ADDRESS.get("b") + ":" + sshPort);
        World.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", renter.key.toString())
                .assertOk();
        String account = line(cli(renter.home, "a", "wallet").assertOk().out(), "account: ")
                .substring(9);
        cli(operator, "a", "wallet", "deposit", account, "100000", "--ref", "bank-1", "--admin-secret", secret("a"))
                .assertOk();

        // Too poor for the deposit: refused at A, nothing passed on.
        World.Result tooMuch =
                cli(renter.home, "a", "rent", deviceB, "--key", renter.key + ".pub", "--deposit", "100001", "--detach");
        assertEquals(1, tooMuch.code(), tooMuch.err());
        assertTrue(tooMuch.err().contains("your wallet holds 100000"), tooMuch.err());
        // Refused at B (its price is above the renter's cap): the deposit A took is back in the wallet at once.
        World.Result capped = cli(
                renter.home,
                "a",
                "rent",
                deviceB,
                "--key",
                renter.key + ".pub",
                "--max-price",
                "1",
                "--deposit",
                "50000",
                "--detach");
        assertEquals(1, capped.code(), capped.err());
        assertTrue(capped.err().contains("above your maximum of 1"), "B's reason, passed back by A: " + capped.err());
        assertEquals(
                "balance: 100000",
                line(cli(renter.home, "a", "wallet").out(), "balance: "),
                "the deposit is back at A");

        // B down when A passes a rent on: the renter hears it may still open there. B, back, has never seen it and says
        // so once and for all (a request under that name arriving late is refused, below), and A gives the deposit
        // back.
        hubs.get("b").destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        String givenUp = mayStillOpen(
                cli(renter.home, "a", "rent", deviceB, "--key", renter.key + ".pub", "--deposit", "20000", "--detach"));
        assertEquals(
                "balance: 80000", line(cli(renter.home, "a", "wallet").out(), "balance: "), "the deposit is held at A");
        startHub("b");
        awaitTrue(
                Duration.ofSeconds(60),
                "the deposit back at A once B answers",
                () -> line(cli(renter.home, "a", "wallet").out(), "balance: ").equals("balance: 100000"));
        assertFalse(
                cli(renter.home, "a", "rentals").out().contains(givenUp), "a rental that never opened is not listed");
        awaitFreeOnA(operator, deviceB);

        // B frozen when A passes a rent on: no answer in time, but B takes the request when it runs again and opens the
        // rental; A learns that from B, and the renter ends it through A.
        String frozen = String.valueOf(hubs.get("b").pid());
        World.run(Duration.ofSeconds(10), "kill", "-STOP", frozen).assertOk();
        World.Result unanswered;
        try {
            unanswered = cli(
                    renter.home, "a", "rent", deviceB, "--key", renter.key + ".pub", "--deposit", "20000", "--detach");
        } finally {
            World.run(Duration.ofSeconds(10), "kill", "-CONT", frozen).assertOk();
        }
        String late = mayStillOpen(unanswered);
        awaitTrue(
                Duration.ofSeconds(60),
                "A learning from B that the rental opened",
                () -> cli(renter.home, "a", "rentals").out().contains(late + " "));
        Settlement earlier = Settlement.of(cli(renter.home, "a", "end", late).assertOk());
        assertEquals(20000, earlier.deposit());
        long wallet = 80000 + earlier.refund();
        awaitTrue(
                Duration.ofSeconds(30),
                "the first refund back in the wallet at A",
                () -> line(cli(renter.home, "a", "wallet").out(), "balance: ").equals("balance: " + wallet));
        awaitFreeOnA(operator, deviceB);

        World.Result rented = cli(
                        renter.home,
                        "a",
                        "rent",
                        deviceB,
                        "--key",
                        renter.key + ".pub",
                        "--deposit",
                        "50000",
                        "--timeout",
                        "120",
                        "--pay-every",
                        "1",
                        "--detach")
                .assertOk();
        String rental = Renter.rentalName(rented);
        assertTrue(
                rented.out()
                        .contains("ssh: ssh -J " + rental + "@" + ADDRESS.get("b") + ":" + sshPort + " root@" + rental),
                "the ssh command leads through B's gateway: " + rented.out());
        assertEquals(
                rental + "\n",
                renter.ssh(rental, "echo federated > /root/mark; hostname")
                        .assertOk()
                        .out());
        assertEquals(
                "balance: " + (wallet - 50000),
                line(cli(renter.home, "a", "wallet").out(), "balance: "),
                "the deposit left the wallet at A");
        // B saw the rental passed on by A, not rented by a renter of its own.
        assertTrue(Files.readString(dir.resolve("b.log")).contains("passed on by hub a"));

        // What a linked hub passes on must be signed by the renter, once. (A second link at B, with a key of the
        // test's own, plays a linked hub misbehaving.)
        KeyPair mallory = ecdsaKeyPair();
        link(operator, "b", "mallory", "coaps://127.0.0.9:9", SshKeys.ecdsaP256Line(mallory.getPublic()));
        Path identity = renter.home.resolve("renter");
        KeyPair renterKey = new KeyPair(
                Ed25519.publicKey(Files.readAllBytes(identity.resolve("renter.pub"))),
                Ed25519.privateKey(Files.readAllBytes(identity.resolve("renter.key"))));
        SignedRequest rent = SignedRequest.sign(
                renterKey,
                Paths.RENTALS,
                System.currentTimeMillis(),
                new RentRequest(
                                deviceB,
                                1,
                                Files.readString(Path.of(renter.key + ".pub")).strip(),
                                PER_HOUR,
                                1000)
                        .encode());
        String minePath = Paths.RENTALS + "/" + Paths.MINE;
        SignedRequest mine = SignedRequest.sign(renterKey, minePath, System.currentTimeMillis(), Cbor.encode(Map.of()));
        try (var call = new PeerCall(uri("b"), mallory, keys.get("b"))) {
            byte[] forged = rent.encode();
            forged[forged.length - 1] ^= 1;
            CoapResponse bad = call.post(
                    Paths.FEDERATION + "/" + Paths.RENT,
                    Cbor.encode(Map.of("name", "r-000000000001", "request", forged)));
            assertEquals(ResponseCode.UNAUTHORIZED, bad.getCode(), "a bad renter signature: " + bad.getResponseText());
            CoapResponse relayRent = call.post(
                    Paths.FEDERATION + "/" + Paths.RELAY,
                    Cbor.encode(Map.of("path", Paths.RENTALS, "request", rent.encode())));
            assertEquals(ResponseCode.BAD_REQUEST, relayRent.getCode(), relayRent.getResponseText());
            byte[] relayMine = Cbor.encode(Map.of("path", minePath, "request", mine.encode()));
            CoapResponse first = call.post(Paths.FEDERATION + "/" + Paths.RELAY, relayMine);
            assertEquals(ResponseCode.CHANGED, first.getCode(), first.getResponseText());
            CoapResponse replayed = call.post(Paths.FEDERATION + "/" + Paths.RELAY, relayMine);
            assertEquals(
                    ResponseCode.UNAUTHORIZED,
                    replayed.getCode(),
                    "a replayed renter request: " + replayed.getResponseText());
            CoapResponse malformed = call.post(Paths.FEDERATION + "/" + Paths.RENT, new byte[] {(byte) 0xff, 0x00});
            assertEquals(ResponseCode.BAD_REQUEST, malformed.getCode(), malformed.getResponseText());
            CoapResponse settlement =
                    call.post(Paths.FEDERATION + "/" + Paths.SETTLEMENT, Cbor.encode(Map.of("rental", rental)));
            assertEquals(ResponseCode.NOT_FOUND, settlement.getCode(), "another hub's rental is not told to mallory");
            CoapResponse tooLate = call.post(
                    Paths.FEDERATION + "/" + Paths.RENT,
                    Cbor.encode(Map.of("name", givenUp, "request", rent.encode())));
            assertEquals(
                    ResponseCode.CONFLICT,
                    tooLate.getCode(),
                    "a rent under a name given up: " + tooLate.getResponseText());
            assertTrue(tooLate.getResponseText().contains("came too late"), tooLate.getResponseText());
        }
        cli(operator, "b", "link", "remove", "mallory", "--admin-secret", secret("b"))
                .assertOk();

        // Pay as you go through A.
        Process payer = payer(renter, rental);
        awaitTrue(Duration.ofSeconds(30), "vouchers through A to reach B", () -> paid(renter, rental) > 0);

        // C dies: A and B go on; C's device goes stale on A's market, then disappears.
        hubs.get("c").destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        awaitTrue(
                Duration.ofSeconds(30),
                "C's device shown stale on A",
                () -> marketLine(cli(operator, "a", "market").out(), deviceC).contains(" stale "));
        awaitTrue(
                Duration.ofSeconds(30),
                "C's device gone from A's market",
                () -> !cli(operator, "a", "market").out().contains(deviceC));
        assertTrue(
                marketLine(cli(operator, "a", "market").out(), deviceB).contains(" rented "),
                "B's device still listed");
        String metrics = metricsOf("a");
        assertTrue(
                Metrics.metric(metrics, "edgerent_linked_hubs{state=\"answering\"}") == 1
                        && Metrics.metric(metrics, "edgerent_linked_hubs{state=\"stale\"}") == 1
                        && Metrics.metric(metrics, "edgerent_passed_rentals_unsettled") == 1,
                metrics);
        long before = paid(renter, rental);
        awaitTrue(Duration.ofSeconds(30), "payments going on without C", () -> paid(renter, rental) > before);
        assertEquals(
                "federated\n", renter.ssh(rental, "cat /root/mark").assertOk().out());

        // A, the renter's hub, dies and comes back: the rental goes on at B meanwhile, and A still knows it.
        hubs.get("a").destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertEquals(
                "federated\n", renter.ssh(rental, "cat /root/mark").assertOk().out(), "B serves while A is down");
        startHub("a");
        awaitTrue(
                Duration.ofSeconds(60),
                "A back, listing B's device",
                () -> marketLine(cli(operator, "a", "market").out(), deviceB).contains(" b "));
        assertTrue(
                cli(renter.home, "a", "rentals").assertOk().out().contains(rental + " "),
                "A still knows the passed rental");
        long afterRestart = paid(renter, rental);
        awaitTrue(Duration.ofSeconds(30), "payments through A again", () -> paid(renter, rental) > afterRestart);
        assertTrue(payer.isAlive(), "the payer waited for A instead of giving up");
        // A's own device heartbeats to it again: it started a new DTLS session when the old one went unanswered.
        awaitLog("device-a.log", "the hub answers again");
        awaitTrue(
                Duration.ofSeconds(30), "B hearing from A again (a new DTLS session after A lost the old one)", () -> {
                    String line = cli(operator, "b", "link", "list", "--admin-secret", secret("b"))
                            .out()
                            .lines()
                            .filter(l -> l.startsWith("a "))
                            .findFirst()
                            .orElse("");
                    return !line.isEmpty() && !line.contains("stale") && !line.contains("never");
                });

        payer.destroy();
        payer.waitFor(30, TimeUnit.SECONDS);
        Settlement last = Settlement.of(cli(renter.home, "a", "end", rental).assertOk());
        assertEquals(50000, last.deposit());
        assertTrue(last.owner() > 0, "the owner was paid: " + last);
        long owner = earlier.owner() + last.owner();
        long fee = earlier.fee() + last.fee();
        awaitTrue(
                Duration.ofSeconds(90),
                "the wipe record, read through A",
                () -> cli(renter.home, "a", "wipe", rental).code() == 0);
        awaitTrue(
                Duration.ofSeconds(30),
                "the refund back in the wallet at A",
                () -> line(cli(renter.home, "a", "wallet").out(), "balance: ")
                        .equals("balance: " + (wallet - 50000 + last.refund())));
        assertEquals(
                "balance: " + owner,
                line(
                        cli(operator, "b", "earnings", "--owner", "bob", "--admin-secret", secret("b"))
                                .out(),
                        "balance: "),
                "B paid its owner");

        // Both ledgers balance, and what A holds for B is what B is owed by A: the charge.
        stopHub("a");
        stopHub("b");
        Map<String, Long> atA = ledger("a");
        Map<String, Long> atB = ledger("b");
        assertEquals(0, atA.get("total"));
        assertEquals(0, atB.get("total"));
        assertEquals(owner + fee, atA.get("peer:b"));
        assertEquals(-(owner + fee), atB.get("peer:a"));
        assertFalse(atA.containsKey("unbalanced"), "every transaction at A balances");
        assertFalse(atB.containsKey("unbalanced"), "every transaction at B balances");
    }

    /** What {@code edgerent end} printed: the channel's settlement, which adds up to the deposit. */
    private record Settlement(long owner, long fee, long refund, long deposit) {
        static Settlement of(World.Result ended) {
            Matcher m = Pattern.compile("owner (\\d+), hub fee (\\d+), refunded to you (\\d+) \\(of deposit (\\d+)\\)")
                    .matcher(ended.out());
            assertTrue(m.find(), ended.out());
            Settlement s = new Settlement(
                    Long.parseLong(m.group(1)),
                    Long.parseLong(m.group(2)),
                    Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)));
            assertEquals(s.deposit(), s.owner() + s.fee() + s.refund(), ended.out());
            return s;
        }
    }

    /** The rental a rent command named when the device's home hub did not answer it. */
    private static String mayStillOpen(World.Result rent) {
        assertEquals(
                4,
                rent.code(),
                "the hub answered that it failed (its linked hub did not answer): " + rent.out() + rent.err());
        Matcher m = Pattern.compile("rental (r-[0-9a-f]+) may still open there").matcher(rent.err());
        assertTrue(m.find(), rent.err());
        return m.group(1);
    }

    private void awaitFreeOnA(Path operator, String device) {
        awaitTrue(
                Duration.ofSeconds(120),
                "device " + device + " listed free on A from its home B",
                () -> marketLine(cli(operator, "a", "market").out(), device).matches(".* free .* b .*"));
    }

    private void startHub(String name) throws IOException {
        int tunnel = tunnelPorts.get(name);
        List<String> command = List.of(
                "java",
                "-jar",
                World.ROOT.resolve("hub/target/edgerent-hub.jar").toString(),
                "--data",
                dir.resolve(name).toString(),
                "--bind",
                ADDRESS.get(name),
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
                tunnel + "-" + (tunnel + 9),
                "--domain",
                World.DOMAIN,
                "--metrics",
                "127.0.0.1:0",
                "--federation-refresh",
                "1");
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve(name + ".log").toFile()))
                .start();
        hubs.put(name, p);
        processes.add(p);
    }

    private void stopHub(String name) throws InterruptedException {
        Process p = hubs.get(name);
        p.destroy();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "hub " + name + " stops");
    }

    /** Registers a device of owner bob with hub {@code hub}, priced {@link #PER_HOUR}; returns its id. */
    private String startDevice(String hub) throws IOException {
        Path operator = dir.resolve("operator");
        String token = cli(operator, hub, "token", "--owner", "bob", "--admin-secret", secret(hub))
                .assertOk()
                .out()
                .strip();
        List<String> command = List.of(
                "java",
                "-jar",
                World.DEVICE_JAR.toString(),
                "--hub",
                uri(hub),
                "--data",
                dir.resolve("device-" + hub).toString(),
                "--heartbeat",
                "1",
                "--price-per-hour",
                String.valueOf(PER_HOUR),
                "--token",
                token);
        processes.add(new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("device-" + hub + ".log").toFile()))
                .start());
        // The hub's market lists linked hubs' devices too; its own say "here".
        awaitTrue(
                Duration.ofSeconds(90),
                "the device of " + hub + " listed free there",
                () -> cli(operator, hub, "market")
                        .out()
                        .lines()
                        .anyMatch(l -> l.contains(" free ") && l.contains(" here ")));
        String id = cli(operator, hub, "market")
                .out()
                .lines()
                .filter(l -> l.contains(" here "))
                .findFirst()
                .orElseThrow()
                .split("\\s+")[0];
        devices.add(id);
        return id;
    }

    private void link(Path operator, String at, String other) {
        link(operator, at, other, uri(other), keys.get(other));
    }

    private void link(Path operator, String at, String name, String address, String key) {
        cli(operator, at, "link", "add", name, address, key, "--credit", "1000000", "--admin-secret", secret(at))
                .assertOk();
    }

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
                        uri("a"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("payer.log").toFile()));
        pb.environment().put("EDGERENT_HOME", renter.home.toString());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** The hub's /metrics, at the address its log names. */
    private String metricsOf(String hub) throws IOException {
        Matcher m = Pattern.compile("metrics at (http://\\S+/metrics)")
                .matcher(Files.readString(dir.resolve(hub + ".log")));
        String url = null;
        while (m.find()) {
            url = m.group(1);
        }
        return World.run(Duration.ofSeconds(20), "curl", "-s", url).assertOk().out();
    }

    private long paid(Renter renter, String rental) {
        World.Result status = cli(renter.home, "a", "status", rental);
        Matcher m = Pattern.compile("paid (\\d+)").matcher(status.out());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Account balances of a stopped hub's ledger, its total, and "unbalanced" if any transaction does not add up. */
    private Map<String, Long> ledger(String hub) throws Exception {
        Map<String, Long> balances = new HashMap<>();
        try (Connection c = DriverManager.getConnection(
                        "jdbc:h2:file:" + dir.resolve(hub).resolve("hub"), "edgerent", "");
                Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT account, SUM(amount) FROM ledger_entry GROUP BY account")) {
                while (r.next()) {
                    balances.put(r.getString(1), r.getLong(2));
                }
            }
            try (ResultSet r = s.executeQuery("SELECT COALESCE(SUM(amount), 0) FROM ledger_entry")) {
                r.next();
                balances.put("total", r.getLong(1));
            }
            try (ResultSet r =
                    s.executeQuery("SELECT tx_id FROM ledger_entry GROUP BY tx_id HAVING SUM(amount) <> 0")) {
                if (r.next()) {
                    balances.put("unbalanced", r.getLong(1));
                }
            }
        }
        return balances;
    }

    private String uri(String hub) {
        return "coaps://" + ADDRESS.get(hub) + ":" + coapsPort;
    }

    private String secret(String hub) {
        return dir.resolve(hub).resolve("admin.secret").toString();
    }

    private World.Result cli(Path home, String hub, String... args) {
        return World.cliAt(uri(hub), home, args);
    }

    private void awaitLog(String log, String text) {
        awaitTrue(Duration.ofSeconds(60), text + " in " + log, () -> {
            try {
                return Files.readString(dir.resolve(log)).contains(text);
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static String marketLine(String market, String device) {
        return market.lines()
                        .filter(l -> l.startsWith(device + " "))
                        .findFirst()
                        .orElse("") + " ";
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("(no line " + prefix + ")");
    }

    private static KeyPair ecdsaKeyPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** CoAP over DTLS to a hub as a hub would talk to it: with an ECDSA key of its own, the hub's key pinned. */
    private static final class PeerCall implements AutoCloseable {
        final URI hub;
        final CoapEndpoint endpoint;

        PeerCall(String hub, KeyPair identity, String hubKey) {
            this.hub = URI.create(hub);
            this.endpoint = Dtls.clientEndpoint(this.hub, identity, HubKeyCheck.pinned(SshKeys.ecdsaP256Key(hubKey)));
        }

        CoapResponse get(String path) throws Exception {
            return call(path, CoapClient::get);
        }

        CoapResponse post(String path, byte[] payload) throws Exception {
            return call(path, client -> client.post(payload, MediaTypeRegistry.APPLICATION_CBOR));
        }

        private interface Request {
            CoapResponse send(CoapClient client) throws Exception;
        }

        private CoapResponse call(String path, Request request) throws Exception {
            CoapClient client = new CoapClient(hub.resolve("/" + path));
            client.setEndpoint(endpoint);
            client.setTimeout(10_000L);
            try {
                CoapResponse response = request.send(client);
                if (response == null) {
                    throw new AssertionError("no answer from " + hub + "/" + path);
                }
                return response;
            } finally {
                client.shutdown();
            }
        }

        @Override
        public void close() {
            endpoint.destroy();
        }
    }
}
