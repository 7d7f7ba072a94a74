package io.edgerent.systemtests.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owner settings on Kura's runtime ({@link KuraRuntime}) with a real hub, Docker engine and ssh client.
 * Its own class, so its own JVM (the pom sets reuseForks=false): a second Equinox started in one JVM
 * gets a Felix SCR that finds no components.
 */
class KuraSettingsTest {
    @TempDir
    Path dir;

    /**
     * Settings changed through ConfigAdmin, as the Kura web UI saves them, change behaviour at once
     * without restarting what did not change; bad values are refused, written back, and change nothing.
     */
    @Test
    void settings_apply_live_through_configadmin_and_bad_values_change_nothing() throws Exception {
        try (World world = new World(dir)) {
            String agentPid = "io.edgerent.edge.agent";
            String containersPid = "io.edgerent.edge.containers";
            // Kura encrypts a Password setting when the owner applies the form; the agent decrypts it with Kura's
            // crypto
            // service. Registering proves the hub got the plaintext token.
            TestCrypto crypto = new TestCrypto();
            try (KuraRuntime kura = new KuraRuntime(
                    dir.resolve("kura"),
                    Map.of(
                            agentPid,
                            Map.of(
                                    "data.dir",
                                    dir.resolve("agent").toString(),
                                    "hub.uri",
                                    world.hubUri,
                                    "registration.token",
                                    crypto.encrypt(world.token("alice")),
                                    "heartbeat.seconds",
                                    1),
                            "io.edgerent.edge.storage",
                            Map.of("base.path", dir.resolve("volumes").toString()),
                            containersPid,
                            Map.of("memory.mib", 256)),
                    crypto::decrypt)) {
                awaitListedFree(world, kura);
                String device =
                        market(world).lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];
                world.devices.add(device);
                Renter renter = world.renter("rita");
                String first = Renter.rentalName(renter.rent(device).assertOk());
                assertEquals(256L << 20, memoryOf(first), "the container runs with the memory configured");

                // A renter stays logged in while the owner changes prices and limits.
                Process session = new ProcessBuilder(
                                "ssh",
                                "-F",
                                renter.home.resolve("ssh_config").toString(),
                                "-J",
                                first + "@127.0.0.1:" + world.sshPort,
                                "root@" + first,
                                "echo logged-in; sleep 8; echo still-here")
                        .start();
                BufferedReader sessionOut =
                        new BufferedReader(new InputStreamReader(session.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("logged-in", sessionOut.readLine(), "the renter is logged in before the change");
                kura.configure(agentPid, Map.of("price.per.hour", 7200L, "price.per.gb", 5L));
                kura.configure(containersPid, Map.of("memory.mib", 384));
                World.awaitTrue(
                        Duration.ofSeconds(10),
                        "the new price on the hub's listing",
                        () -> market(world).contains(" 7200 "));
                assertTrue(session.waitFor(60, TimeUnit.SECONDS), "the ssh session ends");
                assertEquals(
                        "still-here",
                        sessionOut.readLine(),
                        "the renter's session lived through the change: nothing was restarted");
                assertEquals(256L << 20, memoryOf(first), "the running container keeps what it started with");

                // Bad values: refused, written back, and the device goes on as before.
                long hostMib = KuraRuntime.hostMib();
                kura.configure(agentPid, Map.of("price.per.hour", -5L));
                kura.configure(containersPid, Map.of("memory.mib", (int) hostMib + 1));
                kura.configure(agentPid, Map.of("available.hours", "25:00-26:00"));
                World.awaitTrue(
                        Duration.ofSeconds(10),
                        "the refused settings written back",
                        () -> setting(kura, agentPid, "price.per.hour").equals(7200L)
                                && setting(kura, containersPid, "memory.mib").equals(384)
                                && setting(kura, agentPid, "available.hours").equals("always"));
                // Written back through Kura's configuration service: its snapshot, which Kura pushes back at the next
                // start, holds the settings in force, not the refused ones.
                assertEquals(7200L, kura.snapshot(agentPid).get("price.per.hour"));
                assertEquals("always", kura.snapshot(agentPid).get("available.hours"));
                assertEquals(384, kura.snapshot(containersPid).get("memory.mib"));
                // A good change after the refused ones: once it shows, every heartbeat since the refusals has been
                // seen.
                kura.configure(agentPid, Map.of("price.per.gb", 6L));
                World.awaitTrue(
                        Duration.ofSeconds(10),
                        "the next good change on the listing",
                        () -> prices(world, device)[1] == 6);
                assertEquals(7200, prices(world, device)[0], "the listing keeps the price in force: " + market(world));

                renter.end(first).assertOk();
                World.awaitTrue(
                        Duration.ofSeconds(60),
                        "the device free again",
                        () -> market(world).contains(" free "));
                world.depositFor(renter, 10_000);
                String second = Renter.rentalName(world.cli(
                                renter.home,
                                "rent",
                                device,
                                "--key",
                                renter.key + ".pub",
                                "--deposit",
                                "1000",
                                "--timeout",
                                "90",
                                "--detach")
                        .assertOk());
                assertEquals(384L << 20, memoryOf(second), "the next rental's container has the new memory limit");
                renter.end(second).assertOk();
                World.awaitTrue(
                        Duration.ofSeconds(60),
                        "the device free again",
                        () -> market(world).contains(" free "));

                // The owner takes the device off the market, and puts it back.
                kura.configure(agentPid, Map.of("listed", false));
                World.awaitTrue(
                        Duration.ofSeconds(10),
                        "the device off the market",
                        () -> !market(world).contains(device));
                World.Result refused = renter.rent(device);
                assertEquals(1, refused.code(), refused.toString());
                assertTrue(refused.err().contains("not offered for rent now"), refused.err());
                kura.configure(agentPid, Map.of("listed", true));
                World.awaitTrue(
                        Duration.ofSeconds(10),
                        "the device back on the market",
                        () -> market(world).contains(device));
            }
        }
    }

    private static String market(World world) {
        return world.cli(world.dir, "market").out();
    }

    /** The device's price per hour and per GB as the market lists them. */
    private static long[] prices(World world, String device) {
        String[] columns = market(world)
                .lines()
                .filter(l -> l.startsWith(device))
                .findFirst()
                .orElseThrow()
                .split("\\s+");
        return new long[] {Long.parseLong(columns[3]), Long.parseLong(columns[4])};
    }

    private static Object setting(KuraRuntime kura, String pid, String key) {
        try {
            return kura.setting(pid, key);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static long memoryOf(String rental) {
        List<String> ids = World.containersOf(rental);
        assertEquals(1, ids.size(), "one container for " + rental);
        return Long.parseLong(
                World.run(Duration.ofSeconds(30), "docker", "inspect", "-f", "{{.HostConfig.Memory}}", ids.get(0))
                        .assertOk()
                        .out()
                        .strip());
    }

    /** Waits for the device to register and be listed free; says what the components do when it does not happen. */
    private static void awaitListedFree(World world, KuraRuntime kura) throws Exception {
        try {
            World.awaitTrue(
                    Duration.ofSeconds(60),
                    "the device to be listed free",
                    () -> market(world).contains(" free "));
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + "; components " + kura.componentStates() + "; bundles " + kura.bundleStates()
                            + "; market " + market(world),
                    e);
        }
    }

    /** Kura's password encryption as a test stands it in: AES-GCM with a key of its own, Base64, IV first. */
    static final class TestCrypto {
        private final javax.crypto.SecretKey key;

        TestCrypto() throws Exception {
            javax.crypto.KeyGenerator generator = javax.crypto.KeyGenerator.getInstance("AES");
            generator.init(128);
            key = generator.generateKey();
        }

        String encrypt(String plain) throws Exception {
            byte[] iv = new byte[12];
            new java.security.SecureRandom().nextBytes(iv);
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            c.init(javax.crypto.Cipher.ENCRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, iv));
            byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            return java.util.Base64.getEncoder().encodeToString(iv) + "-"
                    + java.util.Base64.getEncoder().encodeToString(sealed);
        }

        String decrypt(String stored) {
            try {
                String[] parts = stored.split("-", 2);
                javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
                c.init(
                        javax.crypto.Cipher.DECRYPT_MODE,
                        key,
                        new javax.crypto.spec.GCMParameterSpec(
                                128, java.util.Base64.getDecoder().decode(parts[0])));
                return new String(c.doFinal(java.util.Base64.getDecoder().decode(parts[1])), StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new IllegalArgumentException("not encrypted here: " + e.getMessage());
            }
        }
    }
}
