package io.edgerent.hardware.firstday;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Pi lab's own parts, on this machine: what it asks of the environment, and how it writes the Pi's card.
 * The card is a loop device over a file (a block device, as an SD mux's card is); the mux and the power switch are
 * commands that write down that they ran. The Pi itself is not here: {@link RealPiTest} needs one.
 */
class RealLabTest {
    @TempDir
    Path dir;

    @Test
    void the_environment_names_the_whole_lab_or_the_test_says_what_is_missing() throws Exception {
        String none = RealLab.whyNot(Map.of());
        assertTrue(none.startsWith("no real Pi lab named (set EDGERENT_PI_IMAGE, EDGERENT_PI_CARD,"), none);

        Map<String, String> env = lab(dir.resolve("card.img"), "/dev/sdz");
        env.remove("EDGERENT_PI_CONSOLE");
        env.put("EDGERENT_PI_ADDRESS", " ");
        String part = RealLab.whyNot(env);
        assertTrue(part.startsWith("the real Pi lab is named in part; set EDGERENT_PI_CONSOLE (the Pi's serial"), part);
        assertTrue(part.contains("; EDGERENT_PI_ADDRESS (the Pi's address on the LAN"), part);

        assertEquals(
                "EDGERENT_PI_IMAGE: no image file at " + dir.resolve("card.img"),
                RealLab.whyNot(lab(dir.resolve("card.img"), "/dev/sdz")));
        Files.writeString(dir.resolve("card.img"), "");
        assertEquals(
                "EDGERENT_PI_CARD names a block device under /dev, not sdz",
                RealLab.whyNot(lab(dir.resolve("card.img"), "sdz")));
        assertNull(RealLab.whyNot(lab(dir.resolve("card.img"), "/dev/sdz")));
        assertThrows(
                IllegalArgumentException.class,
                () -> new RealLab(dir, dir.resolve("owner"), lab(dir.resolve("card.img"), "sdz")));
    }

    @Test
    void flashing_cuts_the_power_takes_the_card_writes_the_image_with_the_uart_on_and_hands_the_card_back()
            throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "loop devices need root");
        Path image = card();
        Path cardFile = dir.resolve("sd");
        Lab.run(Duration.ofSeconds(10), "truncate", "-s", "96M", cardFile.toString())
                .assertOk();
        String device = loop(cardFile);
        try {
            Map<String, String> env = lab(image, device);
            try (RealLab lab = new RealLab(dir.resolve("lab"), dir.resolve("owner"), env)) {
                Files.write(cardFile, new byte[1 << 20], java.nio.file.StandardOpenOption.WRITE);
                lab.flash(image);
                assertEquals("off\nhost\npi\n", Files.readString(dir.resolve("steps")));
                byte[] written = Files.readAllBytes(image);
                assertArrayEquals(written, head(device, written.length), "the card holds the image, byte for byte");
                // The card is the image byte for byte, so its config.txt is the image's.
                String config = Lab.run(Duration.ofSeconds(30), "mtype", "-i", Lab.boot(image), "::/config.txt")
                        .assertOk()
                        .out();
                assertEquals("arm_64bit=1\n\n[all]\nenable_uart=1\n", config);

                // Flashed again over a card whose partition table is gone: written again, the UART line once.
                Lab.run(
                                Duration.ofSeconds(30),
                                "dd",
                                "if=/dev/zero",
                                "of=" + device,
                                "bs=1M",
                                "count=8",
                                "conv=fsync",
                                "status=none")
                        .assertOk();
                lab.flash(image);
                assertEquals("off\nhost\npi\noff\nhost\npi\n", Files.readString(dir.resolve("steps")));
                byte[] again = Files.readAllBytes(image);
                assertArrayEquals(again, head(device, again.length));
                assertArrayEquals(
                        written, again, "the UART is turned on once: the image is as the first flash left it");

                // The console: a console server's log followed from its end.
                Path serial = Path.of(env.get("EDGERENT_PI_CONSOLE"));
                Files.writeString(
                        serial,
                        "edgerent first boot: started\n",
                        java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                Lab.await(
                        Duration.ofSeconds(20),
                        Duration.ofMillis(100),
                        "the console line in the lab's console",
                        () -> Lab.read(lab.console).contains("edgerent first boot: started"));
            }
        } finally {
            Lab.run(Duration.ofSeconds(10), "losetup", "-d", device);
        }
    }

    @Test
    void a_card_with_a_mounted_partition_is_never_written() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "loop devices and mounts need root");
        Path image = card();
        Path diskFile = dir.resolve("disk");
        Lab.run(Duration.ofSeconds(10), "truncate", "-s", "96M", diskFile.toString())
                .assertOk();
        Lab.run(Duration.ofSeconds(30), "mkfs.ext4", "-q", diskFile.toString()).assertOk();
        String device = loop(diskFile);
        Path mount = Files.createDirectories(dir.resolve("mnt"));
        try {
            Lab.run(Duration.ofSeconds(30), "mount", device, mount.toString()).assertOk();
            byte[] before = head(device, 4 << 20);
            try (RealLab lab = new RealLab(dir.resolve("lab"), dir.resolve("owner"), lab(image, device))) {
                AssertionError refused = assertThrows(AssertionError.class, () -> lab.flash(image));
                assertTrue(
                        refused.getMessage().contains(device + " has mounted partitions (" + mount + ")"),
                        refused.getMessage());
            }
            assertArrayEquals(before, head(device, 4 << 20), "the disk is as it was");
            assertEquals("off\nhost\n", Files.readString(dir.resolve("steps")), "the card was not handed to the Pi");
        } finally {
            Lab.run(Duration.ofSeconds(30), "umount", mount.toString());
            Lab.run(Duration.ofSeconds(10), "losetup", "-d", device);
        }
    }

    /** A whole lab in the environment: the mux and the power switch write their steps to a file. */
    private Map<String, String> lab(Path image, String card) {
        Path steps = dir.resolve("steps");
        Map<String, String> env = new HashMap<>();
        env.put("EDGERENT_PI_IMAGE", image.toString());
        env.put("EDGERENT_PI_CARD", card);
        env.put("EDGERENT_PI_CARD_TO_HOST", "echo host >> " + steps);
        env.put("EDGERENT_PI_CARD_TO_PI", "echo pi >> " + steps);
        env.put("EDGERENT_PI_POWER_ON", "echo on >> " + steps);
        env.put("EDGERENT_PI_POWER_OFF", "echo off >> " + steps);
        env.put("EDGERENT_PI_CONSOLE", dir.resolve("serial.log").toString());
        env.put("EDGERENT_PI_ADDRESS", "192.0.2.10");
        env.put("EDGERENT_PI_HUB_HOST", "192.0.2.1");
        return env;
    }

    /** A card image as Raspberry Pi OS's is laid out: an MBR, a FAT boot partition at sector 8192, config.txt. */
    private Path card() throws Exception {
        Path image = dir.resolve("card.img");
        Lab.run(Duration.ofSeconds(10), "truncate", "-s", "48M", image.toString())
                .assertOk();
        Lab.run(Duration.ofSeconds(30), "sh", "-c", "echo 'start=8192, size=65536, type=c' | sfdisk -q " + image)
                .assertOk();
        Path part = dir.resolve("boot.part");
        Lab.run(Duration.ofSeconds(30), "mkfs.vfat", "-C", part.toString(), "32768")
                .assertOk();
        Lab.run(
                        Duration.ofSeconds(30),
                        "dd",
                        "if=" + part,
                        "of=" + image,
                        "bs=512",
                        "seek=8192",
                        "conv=notrunc",
                        "status=none")
                .assertOk();
        Path config = Files.writeString(dir.resolve("config.in"), "arm_64bit=1\n");
        Lab.run(Duration.ofSeconds(30), "mcopy", "-i", Lab.boot(image), config.toString(), "::/config.txt")
                .assertOk();
        return image;
    }

    private static String loop(Path file) throws Exception {
        return Lab.run(Duration.ofSeconds(10), "losetup", "-f", "--show", file.toString())
                .assertOk()
                .out()
                .strip();
    }

    private static byte[] head(String device, int length) throws Exception {
        try (InputStream in = Files.newInputStream(Path.of(device))) {
            return in.readNBytes(length);
        }
    }
}
