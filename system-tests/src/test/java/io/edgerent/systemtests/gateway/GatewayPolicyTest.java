package io.edgerent.systemtests.gateway;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's forwarding policy, as OpenSSH's own regress/forward-control.sh checks sshd's:
 * the real {@code ssh} client tries each kind of forward with a device key and with a renter key,
 * and each allowed case must carry data while each refused case must not.
 */
class GatewayPolicyTest {
    private static final HardwareFacts FACTS = new HardwareFacts(1, "test", 1 << 30, 1 << 30, "amd64", "test", 1);
    private static final String BANNER = "target-banner";

    @TempDir
    Path dir;

    @Test
    void device_key_may_listen_on_exactly_its_two_loopback_ports_and_do_nothing_else() throws Exception {
        try (World world = new World(dir);
                ServerSocket target = bannerServer()) {
            Path key = dir.resolve("device-key");
            World.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                    .assertOk();
            byte[] blob = Base64.getDecoder()
                    .decode(Files.readString(Path.of(key + ".pub")).split(" ")[1]);
            RegistrationAccepted device = register(world, Arrays.copyOfRange(blob, blob.length - 32, blob.length));
            assertNotEquals(device.tunnelPort(), device.httpTunnelPort());
            Ssh ssh = new Ssh(world, key, device.deviceId());
            String to = ":127.0.0.1:" + target.getLocalPort();
            int foreign = World.freePort();

            // Allowed: the exact loopback address and each reserved port; data arrives at the device's target.
            ssh.remoteForwardWorks("127.0.0.1:" + device.tunnelPort() + to, device.tunnelPort());
            ssh.remoteForwardWorks("127.0.0.1:" + device.httpTunnelPort() + to, device.httpTunnelPort());

            // Refused: another port, every other bind address, a port chosen by the server, a Unix socket.
            ssh.remoteForwardRefused("127.0.0.1:" + foreign + to, foreign);
            ssh.remoteForwardRefused("0.0.0.0:" + device.tunnelPort() + to, device.tunnelPort());
            ssh.remoteForwardRefused("localhost:" + device.tunnelPort() + to, device.tunnelPort());
            ssh.remoteForwardRefused(device.tunnelPort() + to, device.tunnelPort());
            ssh.remoteForwardRefused("[::1]:" + device.tunnelPort() + to, device.tunnelPort());
            ssh.remoteForwardRefused("127.0.0.1:0" + to, -1);
            ssh.remoteForwardRefused(dir.resolve("device.sock") + to, -1);

            // Refused: local forwards anywhere (the hub itself, the Docker socket), stdio forwards, sessions of any
            // kind.
            ssh.localForwardRefused("127.0.0.1:" + target.getLocalPort());
            ssh.localForwardRefused("/var/run/docker.sock");
            ssh.stdioForwardRefused("127.0.0.1:" + world.sshPort);
            ssh.sessionRefused("--", "true");
            ssh.sessionRefused("-s", "--", "sftp");
            ssh.sessionRefused("-A", "--", "true");
            ssh.sessionRefused("-X", "--", "true");
            ssh.sessionRefused("-tt");
        }
    }

    @Test
    void renter_key_may_only_reach_its_own_rental_sshd() throws Exception {
        try (World world = new World(dir);
                ServerSocket target = bannerServer()) {
            String device = world.registeredDevice();
            Renter rita = world.renter("rita");
            String rental = Renter.rentalName(rita.rent(device).assertOk());
            Ssh ssh = new Ssh(world, rita.key, rental);

            // Allowed: ProxyJump to the rental, and the same target as a local forward.
            assertEquals(rental, rita.ssh(rental, "hostname").assertOk().out().strip());
            ssh.localForwardWorks(rental + ":22", "SSH-2.0-OpenSSH");

            // Refused: the rental's other ports, the device's tunnel ports directly, the hub, another name, anything
            // else.
            ssh.stdioForwardRefused(rental + ":80");
            ssh.stdioForwardRefused("127.0.0.1:" + world.tunnelPort);
            ssh.stdioForwardRefused("127.0.0.1:" + target.getLocalPort());
            ssh.stdioForwardRefused("r-0123456789ab:22");
            ssh.stdioForwardRefused("localhost:22");
            ssh.localForwardRefused("/var/run/docker.sock");
            ssh.remoteForwardRefused("127.0.0.1:" + World.freePort() + ":127.0.0.1:" + target.getLocalPort(), -1);
            ssh.sessionRefused("--", "true");
            ssh.sessionRefused("-s", "--", "sftp");
            ssh.sessionRefused("-A", "--", "true");
            ssh.sessionRefused("-tt");

            // A key is only good for the name it was given for.
            Ssh wrongName = new Ssh(world, rita.key, "r-0123456789ab");
            assertTrue(wrongName.run("-W", "r-0123456789ab:22").err().contains("Permission denied"));
            rita.end(rental).assertOk();
            assertTrue(
                    ssh.run("-W", rental + ":22").err().contains("Permission denied"),
                    "an ended rental's key is refused");
        }
    }

    @Test
    void silent_connections_are_closed_after_10_seconds_and_guessing_keys_gets_slower() throws Exception {
        try (World world = new World(dir)) {
            // A client that connects and says nothing is closed by the gateway.
            try (Socket silent = new Socket("127.0.0.1", world.sshPort)) {
                silent.setSoTimeout(30_000);
                long start = System.nanoTime();
                InputStream in = silent.getInputStream();
                while (in.read() >= 0) {
                    // the gateway's banner, then nothing until it closes
                }
                long seconds = (System.nanoTime() - start) / 1_000_000_000L;
                assertTrue(seconds >= 9 && seconds < 25, "closed after " + seconds + " s");
            }

            // Wrong keys from one address (127.0.0.2): the first few fail at once, then each waits longer.
            Path wrong = dir.resolve("wrong-key");
            World.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", wrong.toString())
                    .assertOk();
            Ssh guesser = new Ssh(world, wrong, "r-0123456789ab", "-b", "127.0.0.2");
            List<Long> millis = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                long start = System.nanoTime();
                assertTrue(guesser.run("-W", "r-0123456789ab:22").err().contains("Permission denied"));
                millis.add((System.nanoTime() - start) / 1_000_000L);
            }
            assertTrue(
                    millis.get(8) >= 2000,
                    "the 9th failure from one address is answered after at least 2 s: " + millis);
            assertTrue(millis.get(7) >= 1000, "the 8th after at least 1 s: " + millis);

            // Another address is not slowed by it.
            Ssh other = new Ssh(world, wrong, "r-0123456789ab", "-b", "127.0.0.3");
            long start = System.nanoTime();
            assertTrue(other.run("-W", "r-0123456789ab:22").err().contains("Permission denied"));
            long otherMillis = (System.nanoTime() - start) / 1_000_000L;
            assertTrue(otherMillis < millis.get(8), "a fresh address fails at once (" + otherMillis + " ms)");
        }
    }

    /** The real OpenSSH client against the gateway with one key and one login name. */
    private static final class Ssh {
        private final World world;
        private final List<String> base;

        Ssh(World world, Path key, String user, String... extra) {
            this.world = world;
            base = new ArrayList<>(List.of(
                    "ssh",
                    "-i",
                    key.toString(),
                    "-o",
                    "IdentitiesOnly=yes",
                    "-o",
                    "IdentityAgent=none",
                    "-o",
                    "StrictHostKeyChecking=no",
                    "-o",
                    "UserKnownHostsFile=/dev/null",
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "ExitOnForwardFailure=yes",
                    "-o",
                    "ConnectTimeout=15",
                    "-p",
                    String.valueOf(world.sshPort),
                    "-l",
                    user));
            base.addAll(List.of(extra));
        }

        World.Result run(String... args) {
            return World.run(Duration.ofSeconds(60), command(args));
        }

        /** The base options, then {@code args} up to "--", then the host, then the remote command after "--". */
        private String[] command(String... args) {
            List<String> command = new ArrayList<>(base);
            List<String> given = List.of(args);
            int split = given.indexOf("--");
            command.addAll(split < 0 ? given : given.subList(0, split));
            command.add("127.0.0.1");
            if (split >= 0) {
                command.addAll(given.subList(split + 1, given.size()));
            }
            return command.toArray(String[]::new);
        }

        void remoteForwardWorks(String spec, int hubPort) throws Exception {
            Process p = start("-N", "-R", spec);
            try {
                awaitTrue(Duration.ofSeconds(20), "-R " + spec + " to carry data", () -> bannerAt(hubPort));
            } finally {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            awaitTrue(
                    Duration.ofSeconds(10),
                    "the hub to stop listening after -R " + spec + " ended",
                    () -> !listening(hubPort));
        }

        void remoteForwardRefused(String spec, int hubPort) {
            World.Result r = run("-N", "-R", spec);
            assertNotEquals(0, r.code(), "-R " + spec + " must be refused");
            assertTrue(
                    r.err().contains("remote port forwarding failed") || r.err().contains("forwarding failed"),
                    "-R " + spec + ": " + r.err());
            if (hubPort > 0) {
                assertTrue(
                        !listening(hubPort) || !bannerAt(hubPort),
                        "nothing of ours listens on " + hubPort + " after -R " + spec);
            }
        }

        void localForwardWorks(String target, String expected) throws Exception {
            int local = World.freePort();
            Process p = start("-N", "-L", "127.0.0.1:" + local + ":" + target);
            try {
                awaitTrue(
                        Duration.ofSeconds(20),
                        "-L to " + target + " to carry data",
                        () -> read(local).startsWith(expected));
            } finally {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }

        void localForwardRefused(String target) throws Exception {
            int local = World.freePort();
            Process p = start("-N", "-L", "127.0.0.1:" + local + ":" + target);
            try {
                awaitTrue(Duration.ofSeconds(20), "ssh -L to listen locally", () -> listening(local) || !p.isAlive());
                if (p.isAlive()) {
                    assertEquals("", read(local), "-L to " + target + " must carry nothing");
                }
            } finally {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }

        void stdioForwardRefused(String target) {
            World.Result r = run("-W", target);
            assertNotEquals(0, r.code(), "-W " + target + " must be refused");
            assertTrue(
                    r.err().contains("stdio forwarding failed") || r.err().contains("open failed"),
                    "-W " + target + ": " + r.err());
        }

        void sessionRefused(String... args) {
            World.Result r = run(args);
            assertNotEquals(0, r.code(), "ssh " + String.join(" ", args) + " must be refused: " + r.out());
            assertEquals("", r.out(), "nothing ran for ssh " + String.join(" ", args));
        }

        private Process start(String... args) throws IOException {
            return new ProcessBuilder(command(args))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            world.dir.resolve("ssh-policy.log").toFile()))
                    .start();
        }
    }

    private static RegistrationAccepted register(World world, byte[] publicKey) throws Exception {
        CoapClient client = new CoapClient(URI.create(world.plainHubUri + "/devices"));
        try {
            var answer = client.post(
                    new Registration(world.token("alice"), publicKey, FACTS).encode(),
                    MediaTypeRegistry.APPLICATION_CBOR);
            if (answer == null || !answer.isSuccess()) {
                fail("registration failed: " + (answer == null ? "no answer" : answer.getResponseText()));
            }
            return RegistrationAccepted.decode(answer.getPayload());
        } finally {
            client.shutdown();
        }
    }

    /** A loopback server standing in for what a forward leads to: it greets every connection. */
    private static ServerSocket bannerServer() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write((BANNER + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server;
    }

    private static boolean bannerAt(int port) {
        return read(port).startsWith(BANNER);
    }

    private static String read(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(3000);
            byte[] buffer = new byte[64];
            int n = s.getInputStream().read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
