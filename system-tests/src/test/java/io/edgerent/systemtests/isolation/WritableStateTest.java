package io.edgerent.systemtests.isolation;

import static io.edgerent.systemtests.support.World.containersOf;
import static io.edgerent.systemtests.support.World.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.LoopDiskEngine;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything a renter writes, wherever in the container, lands on the rental's encrypted volume (real
 * Docker engine, real fscrypt on loop-mounted ext4, real OpenSSH client): never in plain text in the
 * engine's directories, bounded by the storage limit, and gone with the volume's key.
 */
class WritableStateTest {
    /** Where a renter keeps things, as a renter would: home, config, packages, state, scratch. */
    private static final List<String> PLACES =
            List.of("/root", "/home", "/etc", "/usr/local", "/var", "/var/tmp", "/opt", "/tmp");

    @TempDir
    Path dir;

    @Test
    void whatever_a_renter_writes_is_encrypted_on_its_volume_counted_and_erased_with_it() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--storage-mib", "64", "--egress", "off");
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            String container = containersOf(rental).get(0);
            Path volume = dir.resolve("device/volumes/" + rental);

            // The engine's root is read-only; every writable place is bound from the rental's root on its volume.
            String inspect = run(
                            Duration.ofSeconds(30),
                            "docker",
                            "inspect",
                            "--format",
                            "{{.HostConfig.ReadonlyRootfs}}|{{json .HostConfig.Binds}}|{{.GraphDriver.Data.UpperDir}}",
                            container)
                    .assertOk()
                    .out()
                    .strip();
            String[] f = inspect.split("\\|");
            assertEquals("true", f[0], "the engine's root is read-only: " + inspect);
            for (String bind : f[1].replaceAll("[\\[\\]\"]", "").split(",")) {
                assertTrue(bind.startsWith(volume + "/"), "bound from the rental's volume: " + bind);
            }
            assertTrue(f[1].contains(volume + "/root/usr:/usr"), inspect);
            Path engineLayer = Path.of(f[2]).getParent();

            String canary = "canary-" + UUID.randomUUID();
            StringBuilder write = new StringBuilder("set -e;");
            for (String place : PLACES) {
                write.append(" echo ")
                        .append(canary)
                        .append(" > ")
                        .append(place)
                        .append("/canary;");
            }
            write.append(" sync; touch /new-top-level 2>&1 || true");
            World.Result wrote = renter.ssh(rental, write.toString()).assertOk();
            assertTrue(wrote.out().contains("Read-only file system"), "no file outside the bound places: " + wrote);

            // Not in plain text in the engine's directories for this container, nor in the volume's raw bytes.
            assertEquals(
                    "",
                    run(
                                    Duration.ofSeconds(60),
                                    "grep",
                                    "-rlsF",
                                    canary,
                                    engineLayer.toString(),
                                    engineLayer + "-init",
                                    "/var/lib/docker/containers/" + container)
                            .out()
                            .strip(),
                    "the canary is in plain text under the Docker data root");
            Path image = dir.resolve("device/volumes/" + rental + ".img");
            assertFalse(contains(Files.readAllBytes(image), canary), "the canary is in plain text in " + image);
            Path stolen = dir.resolve("stolen.img");
            Files.copy(image, stolen); // what someone holding the disk would have

            // Packages install and count against the storage limit (a local .deb: no registry is reachable here).
            World.Result installed = renter.ssh(
                            rental,
                            "set -e; mkdir -p /tmp/probe/DEBIAN /tmp/probe/usr/share/probe;"
                                    + " head -c 8388608 /dev/urandom > /tmp/probe/usr/share/probe/blob;"
                                    + " printf 'Package: edgerent-probe\\nVersion: 1\\nArchitecture: all\\n"
                                    + "Maintainer: test <t@example.org>\\nDescription: probe\\n' > /tmp/probe/DEBIAN/control;"
                                    + " dpkg-deb -Zgzip --build /tmp/probe /tmp/probe.deb >/dev/null; rm -r /tmp/probe;"
                                    + " before=$(df -B1 --output=used /usr | tail -1);"
                                    + " apt-get install -y -q /tmp/probe.deb >/dev/null 2>&1; sync;"
                                    + " after=$(df -B1 --output=used /usr | tail -1);"
                                    + " dpkg-query -W -f '${Status}\\n' edgerent-probe; echo $((after - before))")
                    .assertOk();
            String[] lines = installed.out().strip().split("\n");
            assertEquals("install ok installed", lines[0], installed.toString());
            assertTrue(
                    Long.parseLong(lines[1].strip()) >= 8L << 20,
                    "the package's 8 MiB count against the rental's volume: " + installed);

            // Past the limit anywhere in the container: ENOSPC for the renter, the device and the rental carry on.
            World.Result full = renter.ssh(rental, "dd if=/dev/zero of=/root/fill bs=1M count=100 2>&1; sync");
            assertTrue(full.out().contains("No space left on device"), "writing past the limit: " + full);
            assertEquals(
                    "alive", renter.ssh(rental, "echo alive").assertOk().out().strip());
            long deviceFree = Files.getFileStore(dir).getUsableSpace();
            assertTrue(deviceFree > 256L << 20, "the device's disk still has room: " + deviceFree);

            renter.end(rental).assertOk();
            World.Result wipe = renter.awaitWipe(rental);
            assertTrue(wipe.out().contains("container root unmounted"), wipe.out());
            assertTrue(wipe.out().contains("(fscrypt), verified"), wipe.out());
            assertFalse(Files.exists(image), "the backing image is deleted");
            assertFalse(Files.exists(volume), "nothing of the volume is left on the device's disk");

            // The copy taken during the rental: the root's changes are ciphertext nobody holds a key for.
            Path mount = dir.resolve("stolen");
            Files.createDirectories(mount);
            run(Duration.ofSeconds(30), "mount", "-o", "loop,ro,noload", stolen.toString(), mount.toString())
                    .assertOk();
            try {
                World.Result read = run(
                        Duration.ofSeconds(30),
                        "sh",
                        "-c",
                        "find " + mount + "/vault -type f | head -20 | xargs cat; grep -rlsF " + canary + " " + mount);
                assertFalse(read.out().contains(canary), read.toString());
                assertTrue(read.err().contains("Required key not available"), read.toString());
                assertFalse(contains(Files.readAllBytes(stolen), canary), "no canary in the old volume's bytes");
            } finally {
                run(Duration.ofSeconds(30), "umount", mount.toString()).assertOk();
            }
        }
    }

    @Test
    void no_canary_is_on_the_raw_disk_holding_the_docker_data_root_during_the_rental_or_after_its_wipe()
            throws Exception {
        Path diskDir = Files.createTempDirectory("edgerent-disk");
        try (LoopDiskEngine disk = LoopDiskEngine.start(diskDir, 2);
                World world = new World(dir)) {
            String control = "control-" + UUID.randomUUID();
            Files.writeString(disk.mount.resolve("control"), control);
            assertTrue(disk.rawBytesContain(control), "the scan finds plain text written to this disk");

            String device = world.registeredDevice(
                    "--storage-mib",
                    "64",
                    "--egress",
                    "off",
                    "--docker-host",
                    disk.dockerHost,
                    "--volumes",
                    disk.mount.resolve("volumes").toString(),
                    "--reserve-mib",
                    "64");
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            // Written so that the command line the renter sends does not itself hold the canary.
            String id = UUID.randomUUID().toString();
            String canary = "canary-" + id;
            StringBuilder write = new StringBuilder("set -e;");
            for (String place : PLACES) {
                write.append(" printf '%s%s\\n' canary- ")
                        .append(id)
                        .append(" > ")
                        .append(place)
                        .append("/canary;");
            }
            write.append(" printf '%s%s\\n' canary- ").append(id).append(" > /data/canary; sync; cat /root/canary");
            assertEquals(
                    canary,
                    renter.ssh(rental, write.toString()).assertOk().out().strip());
            assertFalse(disk.rawBytesContain(canary), "a canary is in plain text on the disk during the rental");

            renter.end(rental).assertOk();
            assertTrue(renter.awaitWipe(rental).out().contains("verified"));
            assertFalse(disk.rawBytesContain(canary), "a canary is in plain text on the disk after the wipe");
        } finally {
            run(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system", diskDir.toString());
        }
    }

    private static boolean contains(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
    }
}
