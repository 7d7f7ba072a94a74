package io.edgerent.systemtests.kura;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device as Kura runs it: not root, with exactly the ambient capabilities of Kura's own unit
 * (eclipse/kura, kura/distrib/src/main/resources/common/kura.service: {@code User=kurad},
 * {@code AmbientCapabilities=cap_net_admin cap_net_raw cap_dac_override cap_dac_read_search
 * cap_net_bind_service cap_sys_boot cap_kill cap_sys_module cap_sys_time cap_sys_tty_config cap_syslog}: no
 * CAP_SYS_ADMIN, so no mount and no dm-crypt). Kura itself is not run here; setpriv gives the device's
 * process that user and those capabilities, as systemd would. Its encrypted storage is made, mounted and
 * erased by the storage helper, a real root process on a real Unix socket; Docker and iptables it reaches
 * itself, as Kura's device does.
 */
class NonRootDeviceTest {
    /** kura.service's AmbientCapabilities, in setpriv's spelling. */
    private static final String KURA_CAPABILITIES = String.join(
            ",",
            List.of(
                    "+net_admin",
                    "+net_raw",
                    "+dac_override",
                    "+dac_read_search",
                    "+net_bind_service",
                    "+sys_boot",
                    "+kill",
                    "+sys_module",
                    "+sys_time",
                    "+sys_tty_config",
                    "+syslog"));

    private static final long CAP_SYS_ADMIN = 1L << 21;

    @TempDir
    Path dir;

    @Test
    void a_device_without_root_rents_out_encrypted_storage_through_the_storage_helper() throws Exception {
        Path socket = dir.resolve("run/storage.sock");
        Path volumes = dir.resolve("helper/volumes");
        Process helper = new ProcessBuilder(
                        "java",
                        "-jar",
                        World.DEVICE_JAR.toString(),
                        "storage-helper",
                        "--socket",
                        socket.toString(),
                        "--volumes",
                        volumes.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("helper.log").toFile())
                .start();
        try (World world = new World(dir)) {
            awaitTrue(Duration.ofSeconds(30), "the storage helper's socket", () -> Files.exists(socket));
            world.deviceCommandPrefix.addAll(List.of(
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "--inh-caps=" + KURA_CAPABILITIES,
                    "--ambient-caps=" + KURA_CAPABILITIES));
            String device = world.registeredDevice("--storage-mib", "64", "--helper-socket", socket.toString());
            String status = Files.readString(Path.of("/proc/" + world.devicePid() + "/status"));
            assertTrue(status.contains("\nUid:\t65534\t65534"), "the device runs as a user, not root: " + status);
            long effective = Long.parseLong(status.replaceAll("(?s).*\nCapEff:\t([0-9a-f]+)\n.*", "$1"), 16);
            assertEquals(0, effective & CAP_SYS_ADMIN, "no CAP_SYS_ADMIN, as under Kura");

            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            String canary = "canary-" + UUID.randomUUID();
            assertEquals(
                    canary,
                    renter.ssh(
                                    rental,
                                    "echo " + canary + " > /data/canary && echo " + canary
                                            + " > /root/canary && sync && cat /root/canary")
                            .assertOk()
                            .out()
                            .strip());
            Path image = volumes.resolve(rental + ".img");
            assertTrue(Files.exists(image), "the helper made the volume in its own directory");
            assertFalse(
                    new String(Files.readAllBytes(image), StandardCharsets.ISO_8859_1).contains(canary),
                    "the canary is in plain text on the helper's volume");

            renter.end(rental).assertOk();
            World.Result wipe = renter.awaitWipe(rental);
            assertTrue(wipe.out().contains("(fscrypt), verified"), wipe.out());
            assertTrue(wipe.out().contains("container root unmounted"), wipe.out());
            assertFalse(Files.exists(image), "the backing image is deleted");
            assertTrue(world.deviceLog().contains("through the storage helper at " + socket), world.deviceLog());
            assertFalse(world.deviceLog().contains("must be superuser"), "nothing was tried without root");
        } finally {
            helper.destroy();
            helper.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
