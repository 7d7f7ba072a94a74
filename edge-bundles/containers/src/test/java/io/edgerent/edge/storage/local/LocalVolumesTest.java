package io.edgerent.edge.storage.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.edgerent.edge.hostos.Host;
import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real ext4 encryption on real loop-mounted images: needs root and a kernel with ext4 encryption, as the device has. */
class LocalVolumesTest {
    private static final String RENTAL = "r-00000000a11c";
    private static final long SIZE = 32L << 20;

    @TempDir
    Path dir;

    private LocalVolumes volumes;
    private Path copyMount;

    @BeforeEach
    void setUp() {
        assumeTrue(
                FscryptBackend.available(),
                "skipped: this kernel's ext4 has no encryption (/sys/fs/ext4/features/encryption)");
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: mounting loop images needs root");
        volumes = LocalVolumes.at("fscrypt", dir.resolve("volumes").toString());
    }

    @AfterEach
    void tearDown() throws IOException {
        if (copyMount != null && Host.isMounted(copyMount)) {
            Host.run("umount", copyMount.toString());
        }
        if (volumes != null) {
            volumes.erase(RENTAL);
        }
    }

    @Test
    void aCanaryIsCiphertextOnDiskAndUnreadableOnceTheKeyIsDestroyed() throws Exception {
        String canary = "canary-" + UUID.randomUUID();
        Volume volume = volumes.open(RENTAL, SIZE);
        assertEquals("fscrypt", volume.method());
        Files.writeString(volume.dataDir().resolve("secret.txt"), canary.repeat(100));
        Host.run("sync");
        Path image = dir.resolve("volumes").resolve(RENTAL + ".img");
        assertFalse(contains(Files.readAllBytes(image), canary), "the canary is on disk in plain text");

        // What a thief of the disk would hold: a copy of the backing image taken during the rental.
        Path stolen = dir.resolve("stolen.img");
        Files.copy(image, stolen);
        Erasure erasure = volumes.erase(RENTAL);
        assertTrue(erasure.verified(), "erasure verified: " + erasure);
        assertTrue(
                erasure.steps().stream().anyMatch(s -> s.contains("removed from the kernel")),
                erasure.steps().toString());
        assertFalse(Files.exists(image), "the backing image is deleted");
        assertFalse(volumes.find(RENTAL).isPresent());

        copyMount = dir.resolve("stolen");
        Files.createDirectories(copyMount);
        Host.run("mount", "-o", "loop,ro,noload", stolen.toString(), copyMount.toString());
        try (var names = Files.walk(copyMount.resolve("vault"))) {
            Path file = names.filter(Files::isRegularFile).findFirst().orElseThrow();
            assertFalse(file.getFileName().toString().contains("secret"), "file names are encrypted too: " + file);
            IOException refused =
                    assertThrows(IOException.class, () -> Files.readAllBytes(file), "the old volume cannot be opened");
            assertTrue(
                    String.valueOf(refused.getMessage()).contains("Required key not available"),
                    String.valueOf(refused));
        }
    }

    @Test
    void theNextRentalGetsAnEmptyVolumeAndTheQuotaHolds() throws Exception {
        Volume first = volumes.open(RENTAL, SIZE);
        Files.writeString(first.dataDir().resolve("left-behind"), "x");
        assertEquals(first, volumes.open(RENTAL, SIZE), "opening again finds the same unlocked volume");
        volumes.erase(RENTAL);
        assertTrue(volumes.erase(RENTAL).verified(), "erasing twice is fine");

        Volume next = volumes.open(RENTAL, SIZE);
        try (var files = Files.list(next.dataDir())) {
            assertEquals(0, files.count(), "nothing of the previous volume survives");
        }
        IOException full =
                assertThrows(IOException.class, () -> Files.write(next.dataDir().resolve("big"), new byte[(int) SIZE]));
        assertTrue(full.getMessage().contains("No space left"), full.getMessage());
    }

    @Test
    void aVolumeWhoseKeyIsGoneIsErasedAndMadeAfresh() throws Exception {
        Volume volume = volumes.open(RENTAL, SIZE);
        Files.writeString(volume.dataDir().resolve("before-reboot"), "x");
        // A reboot: the kernel forgets the key and nothing is mounted, but the image is still on disk.
        Host.run("umount", volume.dataDir().getParent().getParent().toString());
        Volume fresh = volumes.open(RENTAL, SIZE);
        try (var files = Files.list(fresh.dataDir())) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void theRootsChangesLieEncryptedOnTheVolumeCountAgainstItAndGoWithIt() throws Exception {
        // An image's files as the engine exports them (a tar), unpacked once into plain directories.
        Path files = dir.resolve("image-files");
        Files.createDirectories(files.resolve("etc"));
        Files.createDirectories(files.resolve("proc"));
        Files.writeString(files.resolve("etc/os-release"), "ID=debian\n");
        String imageId = "sha256:" + "ab".repeat(32);
        RentalVolumes.Export export = out -> {
            Process tar = new ProcessBuilder("tar", "-c", "-C", files.toString(), ".").start();
            tar.getInputStream().transferTo(out);
        };
        assertThrows(
                IllegalStateException.class, () -> volumes.root(RENTAL, imageId), "no root of an image not unpacked");
        volumes.unpack(imageId, export);
        volumes.unpack(imageId, out -> {
            throw new AssertionError("an image unpacked already is not exported again");
        });
        Path image = dir.resolve("volumes/images/" + "ab".repeat(32));
        Volume volume = volumes.open(RENTAL, SIZE);
        RentalVolumes.Root mounted = volumes.root(RENTAL, imageId);
        assertEquals(List.of("etc"), mounted.directories(), "the engine's own proc is not bound");
        assertEquals(mounted, volumes.root(RENTAL, imageId), "mounting again finds the root mounted");
        Path root = mounted.dir();
        String canary = "canary-" + UUID.randomUUID();
        Files.writeString(root.resolve("etc/os-release"), canary);
        Files.createDirectories(root.resolve("usr/local"));
        Files.writeString(root.resolve("usr/local/notes"), canary.repeat(100));
        Host.run("sync");
        assertEquals("ID=debian\n", Files.readString(image.resolve("etc/os-release")), "the image is untouched");
        Path backing = dir.resolve("volumes").resolve(RENTAL + ".img");
        assertFalse(contains(Files.readAllBytes(backing), canary), "the root's changes are on disk in plain text");
        IOException full =
                assertThrows(IOException.class, () -> Files.write(root.resolve("usr/local/big"), new byte[(int) SIZE]));
        assertTrue(full.getMessage().contains("No space left"), "the root counts against the volume: " + full);
        assertTrue(Files.exists(volume.dataDir()));

        Erasure erasure = volumes.erase(RENTAL);
        assertTrue(erasure.verified(), erasure.toString());
        assertTrue(
                erasure.steps().get(0).startsWith("container root unmounted"),
                erasure.steps().toString());
        assertFalse(Host.isMounted(root));
        assertFalse(Files.exists(root), "nothing left where the root was mounted");
        assertEquals("ID=debian\n", Files.readString(image.resolve("etc/os-release")));
        assertThrows(
                IllegalStateException.class, () -> volumes.root(RENTAL, imageId), "no root without an open volume");
        assertThrows(IllegalArgumentException.class, () -> volumes.root(RENTAL, "sha256:../../etc"));
    }

    @Test
    void theDevicesFloorIsKept() throws Exception {
        long free = Files.getFileStore(dir).getUsableSpace();
        IllegalArgumentException refused =
                assertThrows(IllegalArgumentException.class, () -> volumes.open(RENTAL, free - (32L << 20)));
        assertTrue(refused.getMessage().contains("kept for the device"), refused.getMessage());
        assertFalse(Files.exists(dir.resolve("volumes").resolve(RENTAL + ".img")), "nothing was made");
        assertThrows(
                IllegalArgumentException.class,
                () -> LocalVolumes.at("fscrypt", dir.resolve("a,upperdir=/etc").toString()),
                "a path that would smuggle overlay options is refused");
    }

    @Test
    void badBackendNamesAndRentalNamesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalVolumes.choose("rot13"));
        assertTrue(e.getMessage().contains("auto, luks2 or fscrypt"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> volumes.open("../../etc", SIZE));
    }

    private static boolean contains(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
    }
}
