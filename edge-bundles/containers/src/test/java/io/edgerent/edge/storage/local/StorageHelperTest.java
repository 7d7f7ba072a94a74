package io.edgerent.edge.storage.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage helper over its real Unix socket, with real fscrypt volumes on loop-mounted ext4 (needs root,
 * as the helper does): the device side gets what it asked for, and a request outside the vocabulary, a
 * name that is not a rental's, an image id that is a path, or an endless line gets an error and changes
 * nothing.
 */
class StorageHelperTest {
    private static final String RENTAL = "r-0000000be1e9";

    @TempDir
    Path dir;

    private Path socket;
    private LocalVolumes local;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(FscryptBackend.available(), "skipped: this kernel's ext4 has no encryption");
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: the helper runs as root");
        socket = dir.resolve("storage.sock");
        local = LocalVolumes.at("fscrypt", dir.resolve("volumes").toString());
        StorageHelper helper = new StorageHelper(local);
        Thread server = new Thread(
                () -> {
                    try {
                        helper.serve(socket, null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                "storage-helper");
        server.setDaemon(true);
        server.start();
        for (int i = 0; i < 100 && !Files.exists(socket); i++) {
            Thread.sleep(20);
        }
    }

    @AfterEach
    void stop() {
        if (local != null) {
            local.erase(RENTAL);
        }
    }

    @Test
    void theDeviceSideOpensUnpacksMountsAndErasesThroughTheSocket() throws Exception {
        assertEquals(
                "rw-rw----",
                java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)),
                "only root and the device's group may ask");
        HelperVolumes volumes = new HelperVolumes(socket, "fscrypt", 64);
        assertEquals(dir.resolve("volumes"), volumes.configure());
        assertEquals("fscrypt", volumes.method());
        assertTrue(volumes.find(RENTAL).isEmpty());

        Volume volume = volumes.open(RENTAL, 32L << 20);
        assertEquals(volume, volumes.find(RENTAL).orElseThrow());
        assertEquals(volume, local.find(RENTAL).orElseThrow(), "the helper's own volume, described as it is");

        Path files = dir.resolve("image-files");
        Files.createDirectories(files.resolve("etc"));
        Files.writeString(files.resolve("etc/hostname"), "image\n");
        String imageId = "sha256:" + "cd".repeat(32);
        volumes.unpack(imageId, out -> {
            Process tar = new ProcessBuilder("tar", "-c", "-C", files.toString(), ".").start();
            tar.getInputStream().transferTo(out);
        });
        volumes.unpack(imageId, out -> {
            throw new AssertionError("unpacked once");
        });
        RentalVolumes.Root root = volumes.root(RENTAL, imageId);
        assertEquals(List.of("etc"), root.directories());
        assertEquals("image\n", Files.readString(root.dir().resolve("etc/hostname")));

        Erasure erasure = volumes.erase(RENTAL);
        assertTrue(erasure.verified(), erasure.toString());
        assertEquals("fscrypt", erasure.method());
        assertTrue(erasure.steps().get(0).startsWith("container root unmounted"), erasure.toString());
        assertTrue(volumes.find(RENTAL).isEmpty());
    }

    @Test
    void requestsOutsideTheVocabularyAreRefusedAndChangeNothing() throws Exception {
        for (String request : List.of(
                "open ../../etc 33554432",
                "open r-0000000be1e9 -1",
                "open r-0000000be1e9 1e9",
                "root r-0000000be1e9 sha256:../../../etc",
                "unpack /etc",
                "erase /",
                "configure rot13 64",
                "configure fscrypt 1",
                "mount /dev/sda1 /",
                "open " + RENTAL + " 33554432 extra")) {
            String reply = raw(request + "\n");
            assertTrue(reply.startsWith("error: "), request + " -> " + reply);
        }
        String endless;
        try {
            endless = raw("x".repeat(10_000) + "\n");
        } catch (java.net.SocketException reset) {
            endless = "error: reset"; // closed with the rest of the line unread: the kernel resets, as it may
        }
        assertTrue(endless.startsWith("error: "), "an endless line: " + endless);
        assertTrue(local.find(RENTAL).isEmpty(), "nothing was made");
        try (var left = Files.list(dir.resolve("volumes"))) {
            assertEquals(List.of(), left.toList(), "nothing was made");
        }
        assertEquals("fscrypt", local.method(), "the refused configure changed nothing");
        assertFalse(raw("open " + RENTAL + " 33554432\n").startsWith("error"), "the helper still serves");
    }

    @Test
    void anImageWhoseTarIsCutIsNotUnpacked() throws Exception {
        HelperVolumes volumes = new HelperVolumes(socket, "fscrypt", 64);
        String imageId = "sha256:" + "ef".repeat(32);
        Path files = dir.resolve("image-files");
        Files.createDirectories(files.resolve("etc"));
        Files.writeString(files.resolve("etc/hostname"), "image\n");
        Process tar = new ProcessBuilder("tar", "-c", "-C", files.toString(), ".").start();
        // Three headers and one block of data, whole, then the device's export broke off: no end-of-archive
        // marker, which tar itself would not miss.
        byte[] cutShort = java.util.Arrays.copyOf(tar.getInputStream().readAllBytes(), 4 * 512);
        IllegalStateException cut =
                assertThrows(IllegalStateException.class, () -> volumes.unpack(imageId, out -> out.write(cutShort)));
        assertTrue(cut.getMessage().contains("end-of-archive"), cut.getMessage());
        assertFalse(Files.exists(dir.resolve("volumes/images/" + "ef".repeat(32))), "no partial image kept");
        assertFalse(
                Files.exists(dir.resolve("volumes/images/" + "ef".repeat(32) + ".partial")),
                "nor what tar unpacked of it");
    }

    private String raw(String request) throws Exception {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(channel);
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = Channels.newInputStream(channel);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
