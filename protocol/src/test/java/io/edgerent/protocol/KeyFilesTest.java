package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Ed25519#loadOrCreate}: the device's and the renter's key pairs on disk. */
class KeyFilesTest {
    @TempDir
    Path dir;

    @Test
    void a_key_pair_is_made_once_for_its_owner_only_and_read_back_after() throws Exception {
        Path home = dir.resolve("renter");
        KeyPair made = Ed25519.loadOrCreate(home, "renter");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home)));
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("renter.key"))));
        assertEquals(Ed25519.PUBLIC_KEY_BYTES, Files.size(home.resolve("renter.pub")));
        KeyPair again = Ed25519.loadOrCreate(home, "renter");
        assertArrayEquals(Ed25519.raw(made.getPublic()), Ed25519.raw(again.getPublic()));
        byte[] message = "vouch".getBytes();
        assertTrue(
                Ed25519.verify(Ed25519.raw(made.getPublic()), message, Ed25519.sign(again.getPrivate(), message)),
                "the same pair");
        try (var files = Files.list(home)) {
            assertEquals(2, files.count(), "no temporary file left");
        }
    }
}
