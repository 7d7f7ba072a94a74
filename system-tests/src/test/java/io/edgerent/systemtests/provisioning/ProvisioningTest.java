package io.edgerent.systemtests.provisioning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.provisioning.ProvisionMain;
import io.edgerent.systemtests.support.World;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code edgerent provision} against a Pi-like image made here with the real tools (sfdisk,
 * mkfs.vfat, mkfs.ext4): a 64 MiB FAT boot partition with cmdline.txt and a 32 MiB ext4 root, laid
 * out as Raspberry Pi OS does. The written files are read back with mtools; a token is used for real.
 */
class ProvisioningTest {
    static final long BOOT_START = 8192L * 512;
    static final long ROOT_START = (8192L + 131072) * 512;
    static final long ROOT_SIZE = 65536L * 512;
    static final String CMDLINE =
            "console=serial0,115200 console=tty1 root=PARTUUID=1234abcd-02 rootfstype=ext4 fsck.repair=yes rootwait";

    @TempDir
    Path dir;

    @Test
    void every_device_gets_its_own_image_token_and_config_and_a_rerun_spends_no_new_token() throws Exception {
        try (World world = new World(dir)) {
            Path base = piImage(dir.resolve("raspios.img"));
            Path key = dir.resolve("owner.pub");
            Files.writeString(key, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwnerKeyForTestsOnly owner@laptop\n");
            Path fleet = dir.resolve("fleet");
            List<String> args = List.of(
                    "--image",
                    base.toString(),
                    "--hub",
                    world.hubUri,
                    "--owner",
                    "alice",
                    "--names",
                    "pi-a,pi-b",
                    "--out",
                    fleet.toString(),
                    "--ssh-key",
                    key.toString(),
                    "--wifi-ssid",
                    "home",
                    "--wifi-psk",
                    "correct-horse",
                    "--admin-secret",
                    dir.resolve("hub/admin.secret").toString(),
                    "--device-dir",
                    World.ROOT.resolve("edge-bundles/launcher/target").toString());
            Run first = provision(args);
            assertEquals(0, first.code, first.err);
            assertTrue(first.err.contains("100%"), "progress is shown: " + first.err);

            List<String> tokens = new ArrayList<>();
            for (String name : List.of("pi-a", "pi-b")) {
                Path image = fleet.resolve(name + ".img");
                String conf = mtype(image, "edgerent/device.conf");
                assertTrue(conf.contains("DEVICE_NAME='" + name + "'"), conf);
                assertTrue(conf.contains("HUB='" + world.hubUri + "'"), conf);
                assertTrue(conf.contains("OWNER='alice'"), conf);
                tokens.add(conf.lines()
                        .filter(l -> l.startsWith("TOKEN="))
                        .findFirst()
                        .orElseThrow());
                String cmdline = mtype(image, "cmdline.txt");
                assertTrue(cmdline.startsWith(CMDLINE + " systemd.run=/boot/firmware/edgerent/firstboot.sh"), cmdline);
                assertTrue(mtype(image, "edgerent/authorized_keys").contains("owner@laptop"));
                assertTrue(mtype(image, "edgerent/wifi.nmconnection").contains("ssid=home"));
                assertTrue(mtype(image, "edgerent/firstboot.sh").startsWith("#!/bin/bash"));
                String files = run("mdir", "-b", "-/", "-i", image + "@@" + BOOT_START, "::/")
                        .out();
                assertTrue(
                        files.contains("edgerent/device/edgerent-device.jar")
                                && files.contains("edgerent/device/bundles/edgerent.dp")
                                && files.contains("/ssh"),
                        files);
                Path shipped = dir.resolve(name + "-renter.tar");
                run("mcopy", "-n", "-i", image + "@@" + BOOT_START, "::/edgerent/renter-image.tar", shipped.toString())
                        .assertOk();
                assertArrayEquals(
                        Files.readAllBytes(savedImage("arm64")),
                        Files.readAllBytes(shipped),
                        "the renter image is on the boot partition as given");
                assertArrayEquals(
                        sha256(base, ROOT_START, ROOT_SIZE),
                        sha256(image, ROOT_START, ROOT_SIZE),
                        "the root file system is untouched");
            }
            assertNotEquals(tokens.get(0), tokens.get(1), "each device has its own token");

            Run again = provision(args);
            assertEquals(0, again.code, again.err);
            assertTrue(
                    mtype(fleet.resolve("pi-a.img"), "edgerent/device.conf").contains(tokens.get(0)),
                    "a re-run reuses the token");
            String cmdline = mtype(fleet.resolve("pi-a.img"), "cmdline.txt");
            assertEquals(
                    1, cmdline.split("firstboot.sh", -1).length - 1, "the hook is in cmdline.txt once: " + cmdline);

            // The pinned hub key is the one the hub's SSH server shows to a real client.
            String conf = mtype(fleet.resolve("pi-a.img"), "edgerent/device.conf");
            String pin = conf.lines()
                    .filter(l -> l.startsWith("HUB_KEY="))
                    .findFirst()
                    .orElseThrow()
                    .replaceAll("HUB_KEY='(.*)'", "$1");
            String scanned = run("ssh-keyscan", "-p", String.valueOf(world.sshPort), "127.0.0.1")
                    .out();
            assertTrue(scanned.lines().anyMatch(l -> l.endsWith(" " + pin)), "keyscan: " + scanned + ", pin: " + pin);

            // A device whose pin the hub does not match does not register, and says why.
            String token = tokens.get(0).replaceAll("TOKEN='(.*)'", "$1");
            World.run(
                            Duration.ofSeconds(20),
                            "ssh-keygen",
                            "-q",
                            "-t",
                            "ecdsa",
                            "-b",
                            "256",
                            "-N",
                            "",
                            "-f",
                            dir.resolve("other").toString())
                    .assertOk();
            String otherKey = Files.readString(dir.resolve("other.pub")).strip().replaceAll(" [^ ]*$", "");
            world.startDevice(token, "--hub-key", otherKey);
            // Its DTLS handshake refuses the hub's key, so not even the token is sent.
            World.awaitTrue(
                    Duration.ofSeconds(60),
                    "the device to refuse a hub with another key",
                    () -> world.deviceLog()
                            .contains("not talking to the hub at " + world.hubUri + ": in the DTLS handshake it shows"
                                    + " the key '" + pin + "'"));
            world.killDevice();
            assertFalse(
                    world.cli(dir, "market").out().contains("alice"), "nothing was registered, the token is unspent");

            // The token is real: a device started with it and the right pin registers (as setup.sh starts it).
            world.startDevice(tokens.get(1).replaceAll("TOKEN='(.*)'", "$1"), "--hub-key", pin);
            World.awaitTrue(
                    Duration.ofSeconds(60),
                    "the provisioned token to register a device",
                    () -> world.cli(dir, "market").out().contains("alice"));
            world.devices.add(world.cli(dir, "market")
                    .out()
                    .lines()
                    .skip(1)
                    .findFirst()
                    .orElseThrow()
                    .split("\\s+")[0]);

            // One shared image, and per device the files for its boot partition; for a fleet two hubs serve (never
            // asked here,
            // the tokens come from the first).
            Path shared = dir.resolve("shared");
            List<String> sharedArgs = new ArrayList<>(args);
            sharedArgs.set(sharedArgs.indexOf("pi-a,pi-b"), "pi-c");
            sharedArgs.set(sharedArgs.indexOf(fleet.toString()), shared.toString());
            String twoHubs = world.hubUri + ",coaps://127.0.0.2:5684";
            sharedArgs.set(sharedArgs.indexOf(world.hubUri), twoHubs);
            sharedArgs.add("--shared");
            Run sharedRun = provision(sharedArgs);
            assertEquals(0, sharedRun.code, sharedRun.err);
            assertTrue(
                    run(
                                            "mtype",
                                            "-i",
                                            shared.resolve("edgerent-fleet.img") + "@@" + BOOT_START,
                                            "::/edgerent/device.conf")
                                    .code()
                            != 0,
                    "the shared image holds no device's token");
            String sharedConf = Files.readString(shared.resolve("pi-c/boot/edgerent/device.conf"));
            assertTrue(sharedConf.contains("DEVICE_NAME='pi-c'"), sharedConf);
            assertTrue(sharedConf.contains("HUB='" + twoHubs + "'"), sharedConf);
            Run mixed = provision(List.of(
                    "--image",
                    base.toString(),
                    "--hub",
                    world.hubUri + ",coap://127.0.0.2:5683",
                    "--owner",
                    "alice",
                    "--names",
                    "pi-d",
                    "--out",
                    dir.resolve("mixed").toString()));
            assertEquals(2, mixed.code, mixed.err);
            assertTrue(mixed.err.contains("several hubs of one fleet separated by commas"), mixed.err);
            assertFalse(Files.exists(dir.resolve("mixed/pi-d/device.conf")), "no token was made");
        }
    }

    @Test
    void a_foreign_cut_or_corrupt_image_is_refused_before_any_token_is_made() throws Exception {
        try (World world = new World(dir)) {
            Path good = piImage(dir.resolve("raspios.img"));
            Path random = dir.resolve("random.img");
            byte[] noise = new byte[2 << 20];
            new Random(7).nextBytes(noise);
            Files.write(random, noise);
            Path ext4Only = dir.resolve("ext4-only.img");
            run("truncate", "-s", "48M", ext4Only.toString()).assertOk();
            World.runWithInput(
                            Duration.ofSeconds(30),
                            write(dir.resolve("layout2"), "label: dos\nstart=8192, type=83\n"),
                            "sfdisk",
                            ext4Only.toString())
                    .assertOk();
            Path cut = dir.resolve("cut.img");
            try (var in = Files.newInputStream(good)) {
                Files.write(cut, in.readNBytes(20 << 20));
            }
            run("xz", "-k", "-0", "-T1", good.toString()).assertOk();
            Path cutXz = dir.resolve("cut.img.xz");
            byte[] xz = Files.readAllBytes(dir.resolve("raspios.img.xz"));
            Files.write(cutXz, java.util.Arrays.copyOf(xz, xz.length / 2));

            record Case(Path image, String message) {}
            for (Case c : List.of(
                    new Case(random, "has no partition table"),
                    new Case(ext4Only, "no FAT boot partition"),
                    new Case(cut, "is cut short"),
                    new Case(cutXz, "is cut short or is not xz data"))) {
                Path out = dir.resolve("out-" + c.image().getFileName());
                Run r = provision(List.of(
                        "--image",
                        c.image().toString(),
                        "--hub",
                        world.hubUri,
                        "--owner",
                        "alice",
                        "--count",
                        "2",
                        "--out",
                        out.toString(),
                        "--admin-secret",
                        dir.resolve("hub/admin.secret").toString(),
                        "--device-dir",
                        World.ROOT.resolve("edge-bundles/launcher/target").toString()));
                assertEquals(1, r.code, c + ": " + r.err);
                assertTrue(r.err.contains(c.message()), c + ": " + r.err);
                assertFalse(Files.exists(out.resolve("pi-01/device.conf")), "no token was made for a refused image");
            }
            // The whole compressed image is fine.
            Run whole = provision(List.of(
                    "--image",
                    dir.resolve("raspios.img.xz").toString(),
                    "--hub",
                    world.hubUri,
                    "--owner",
                    "alice",
                    "--count",
                    "1",
                    "--out",
                    dir.resolve("from-xz").toString(),
                    "--admin-secret",
                    dir.resolve("hub/admin.secret").toString(),
                    "--device-dir",
                    World.ROOT.resolve("edge-bundles/launcher/target").toString()));
            assertEquals(0, whole.code, whole.err);
            assertTrue(mtype(dir.resolve("from-xz/pi-01.img"), "edgerent/device.conf")
                    .contains("DEVICE_NAME='pi-01'"));
            assertFalse(Files.exists(dir.resolve("from-xz/.base.img")), "the decompressed copy is cleaned up");

            // A renter image for another CPU than the Pi's, or a file that is none, is refused before any token.
            Path notAnImage = Files.write(dir.resolve("notes.tar"), "not a tar".getBytes(StandardCharsets.UTF_8));
            for (Case c : List.of(
                    new Case(savedImage("amd64"), "holds an image for amd64; a Raspberry Pi needs arm64"),
                    new Case(notAnImage, "is not a saved Docker image"))) {
                Path out = dir.resolve("out-renter-" + c.image().getFileName());
                Run r = provision(List.of(
                        "--image",
                        good.toString(),
                        "--renter-image",
                        c.image().toString(),
                        "--hub",
                        world.hubUri,
                        "--owner",
                        "alice",
                        "--count",
                        "1",
                        "--out",
                        out.toString(),
                        "--admin-secret",
                        dir.resolve("hub/admin.secret").toString(),
                        "--device-dir",
                        World.ROOT.resolve("edge-bundles/launcher/target").toString()));
                assertEquals(1, r.code, c + ": " + r.err);
                assertTrue(r.err.contains(c.message()), c + ": " + r.err);
                assertFalse(Files.exists(out.resolve("pi-01/device.conf")), "no token was made for it");
            }
            Run none = provisionAsIs(
                    List.of("--image", good.toString(), "--owner", "alice", "--count", "1", "--hub", world.hubUri));
            assertEquals(2, none.code, none.err);
            assertTrue(none.err.contains("--renter-image FILE is needed"), none.err);

            Run usage = provision(
                    List.of("--image", good.toString(), "--owner", "alice", "--count", "0", "--hub", world.hubUri));
            assertEquals(2, usage.code, usage.err);
            assertTrue(usage.err.contains("--count takes a number from 1 to 999"), usage.err);
        }
    }

    /** A Raspberry Pi OS-like image: MBR, FAT32 boot partition (cmdline.txt, config.txt) at 4 MiB, ext4 root after it. */
    private Path piImage(Path image) throws IOException {
        run("truncate", "-s", "104M", image.toString()).assertOk();
        World.runWithInput(
                        Duration.ofSeconds(30),
                        write(
                                dir.resolve("layout"),
                                "label: dos\nstart=8192, size=131072, type=c\n"
                                        + "start=139264, size=65536, type=83\n"),
                        "sfdisk",
                        image.toString())
                .assertOk();
        run("mkfs.vfat", "-F", "32", "-n", "bootfs", "--offset", "8192", image.toString(), "65536")
                .assertOk();
        run("mkfs.ext4", "-q", "-F", "-L", "rootfs", "-E", "offset=" + ROOT_START, image.toString(), "32M")
                .assertOk();
        Path cmdline = write(dir.resolve("cmdline.txt"), CMDLINE + "\n");
        Path config = write(dir.resolve("config.txt"), "arm_64bit=1\n");
        run("mcopy", "-i", image + "@@" + BOOT_START, cmdline.toString(), config.toString(), "::/")
                .assertOk();
        return image;
    }

    private static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text);
        return file;
    }

    private static String mtype(Path image, String path) {
        return run("mtype", "-i", image + "@@" + BOOT_START, "::/" + path)
                .assertOk()
                .out();
    }

    private static World.Result run(String... command) {
        return World.run(Duration.ofSeconds(60), command);
    }

    private static byte[] sha256(Path file, long offset, long length) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(offset);
            byte[] buffer = new byte[1 << 20];
            for (long left = length; left > 0; ) {
                int n = raf.read(buffer, 0, (int) Math.min(buffer.length, left));
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
        return digest.digest();
    }

    record Run(int code, String out, String err) {}

    /**
     * Provisions with {@code args}, adding {@code --renter-image} (a saved arm64 image, see {@link #savedImage})
     * unless they name one.
     */
    private Run provision(List<String> args) throws IOException {
        List<String> all = new ArrayList<>(args);
        if (!all.contains("--renter-image")) {
            all.addAll(List.of("--renter-image", savedImage("arm64").toString()));
        }
        return provisionAsIs(all);
    }

    /**
     * An archive laid out as {@code docker save} writes it (manifest.json naming the config, which names the
     * architecture, and a layer), made with tar here: provisioning reads only those two members.
     */
    private Path savedImage(String architecture) throws IOException {
        Path archive = dir.resolve("renter-" + architecture + ".tar");
        if (Files.exists(archive)) {
            return archive;
        }
        Path content = Files.createDirectories(dir.resolve("saved-" + architecture));
        Files.writeString(
                content.resolve("manifest.json"),
                "[{\"Config\":\"config.json\",\"RepoTags\":[\"edgerent/renter-base:" + architecture
                        + "\"],\"Layers\":[\"layer.tar\"]}]");
        Files.writeString(
                content.resolve("config.json"), "{\"architecture\":\"" + architecture + "\",\"os\":\"linux\"}");
        byte[] layer = new byte[3 << 20];
        new Random(11).nextBytes(layer);
        Files.write(content.resolve("layer.tar"), layer);
        run("tar", "-C", content.toString(), "-cf", archive.toString(), "manifest.json", "config.json", "layer.tar")
                .assertOk();
        return archive;
    }

    private static Run provisionAsIs(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new ProvisionMain(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
