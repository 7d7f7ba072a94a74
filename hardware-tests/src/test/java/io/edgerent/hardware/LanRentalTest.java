package io.edgerent.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.client.ClientMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * This Pi as a device of a hub on another machine of the LAN: registered with a fresh token, rented,
 * logged into with OpenSSH through the hub; and after its network is unplugged for 20 s, reached again
 * without anyone touching it. Needs EDGERENT_HUB (the hub's coaps:// address on the LAN) and
 * EDGERENT_HUB_ADMIN_SECRET (a copy of that hub's admin.secret); the unplug test also EDGERENT_UNPLUG_IFACE.
 */
@ExtendWith(OnRaspberryPi.class)
class LanRentalTest {
    @TempDir
    Path dir;

    @Test
    void a_renter_reaches_this_pi_through_a_hub_on_the_lan() throws Exception {
        try (Rig rig = new Rig(dir)) {
            assertEquals("aarch64\n", rig.ssh("uname -m"));
        }
    }

    @Test
    void the_tunnel_comes_back_after_the_network_is_unplugged_for_20_seconds() throws Exception {
        String iface = OnRaspberryPi.requireEnv(
                "EDGERENT_UNPLUG_IFACE",
                "the interface to take down for 20 s, such as eth0"
                        + " (do not run this over that interface: the Pi is unreachable meanwhile)");
        try (Rig rig = new Rig(dir)) {
            rig.ssh("echo before > /data/mark");
            // The interface comes back even if this JVM dies meanwhile.
            new ProcessBuilder("setsid", "sh", "-c", "sleep 20; ip link set dev " + iface + " up").start();
            Tools.run("ip", "link", "set", "dev", iface, "down");
            long unplugged = System.nanoTime();
            Path state = Path.of("/sys/class/net", iface, "operstate");
            await(
                    Duration.ofSeconds(30),
                    iface + " to be down",
                    () -> !read(state).equals("up"));
            await(
                    Duration.ofSeconds(60),
                    iface + " to come back up",
                    () -> read(state).equals("up"));
            await(Duration.ofSeconds(120), "ssh through the hub to work again", () -> {
                try {
                    return rig.ssh("cat /data/mark").equals("before\n");
                } catch (AssertionError | Exception e) {
                    return false;
                }
            });
            System.out.printf(
                    "reached again %.1f s after the network was unplugged for 20 s%n",
                    (System.nanoTime() - unplugged) / 1e9);
        }
    }

    /** A registered device (this Pi, on Felix) rented by a fresh renter; stopped and ended on close. */
    static final class Rig implements AutoCloseable {
        final Path dir;
        final String hub;
        final Process device;
        final Path renterHome;
        final String rental;
        final String jump;

        Rig(Path dir) throws Exception {
            this.dir = dir;
            hub = OnRaspberryPi.requireEnv(
                    "EDGERENT_HUB",
                    "the coaps://HOST:5684 of an edgerent hub on another machine of the LAN (started with --bind 0.0.0.0)");
            String secret = OnRaspberryPi.requireEnv(
                    "EDGERENT_HUB_ADMIN_SECRET", "a file holding a copy of that hub's admin.secret");
            String owner = "pi-test-" + System.currentTimeMillis();
            String token = cli(dir, "token", "--owner", owner, "--admin-secret", secret)
                    .strip();
            Path root =
                    Path.of(System.getenv().getOrDefault("EDGERENT_ROOT", ".")).toAbsolutePath();
            device = new ProcessBuilder(
                            "java",
                            "-Xmx64m",
                            "-jar",
                            root.resolve("edge-bundles/launcher/target/edgerent-device.jar")
                                    .toString(),
                            "--hub",
                            hub,
                            "--token",
                            token,
                            "--data",
                            dir.resolve("device").toString(),
                            "--heartbeat",
                            "5",
                            "--keepalive",
                            "5")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("device.log").toFile())
                    .start();
            String[] deviceId = new String[1];
            await(Duration.ofSeconds(120), "this Pi to be listed free", () -> {
                deviceId[0] = cli(dir, "market")
                        .lines()
                        .filter(l -> l.contains(" " + owner + " ") && l.contains(" free "))
                        .map(l -> l.split("\\s+")[0])
                        .findFirst()
                        .orElse(null);
                return deviceId[0] != null;
            });
            renterHome = dir.resolve("renter");
            Files.createDirectories(renterHome);
            Tools.run(
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-f",
                    renterHome.resolve("id").toString());
            String rented = cli(
                    renterHome,
                    "rent",
                    deviceId[0],
                    "--key",
                    renterHome.resolve("id.pub").toString(),
                    "--detach",
                    "--timeout",
                    "300");
            Matcher m = Pattern.compile("rental: (\\S+)[\\s\\S]*ssh: ssh -J (\\S+) ")
                    .matcher(rented);
            assertTrue(m.find(), rented);
            rental = m.group(1);
            jump = m.group(2);
        }

        String ssh(String command) throws Exception {
            return Tools.run(
                    "ssh",
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "StrictHostKeyChecking=accept-new",
                    "-o",
                    "UserKnownHostsFile=" + renterHome.resolve("known_hosts"),
                    "-o",
                    "IdentitiesOnly=yes",
                    "-o",
                    "ConnectTimeout=10",
                    "-i",
                    renterHome.resolve("id").toString(),
                    "-J",
                    jump,
                    "root@" + rental,
                    command);
        }

        @Override
        public void close() throws Exception {
            try {
                cli(renterHome, "end", rental);
            } finally {
                device.destroy();
                device.waitFor(30, TimeUnit.SECONDS);
            }
        }

        String cli(Path home, String... args) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(List.of("--hub", hub));
            int code = new ClientMain(
                            new PrintStream(out, true, StandardCharsets.UTF_8),
                            new PrintStream(err, true, StandardCharsets.UTF_8),
                            home)
                    .run(all.toArray(String[]::new));
            String text = out.toString(StandardCharsets.UTF_8);
            if (code != 0) {
                throw new AssertionError("edgerent " + String.join(" ", args) + " exited " + code + ": " + text + err);
            }
            return text;
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(1000);
        }
    }
}
