package io.edgerent.client;

import io.edgerent.protocol.Ed25519;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;

/**
 * The renter's Ed25519 key pair, which signs every renter request and so is the renter's identity
 * on the hub. Created on first use under {@code EDGERENT_HOME/renter}, readable by the owner only.
 */
final class RenterIdentity {
    private RenterIdentity() {}

    static KeyPair loadOrCreate(Path home) {
        Path dir = home.resolve("renter");
        Path privateFile = dir.resolve("renter.key");
        Path publicFile = dir.resolve("renter.pub");
        try {
            if (!Files.exists(privateFile)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                KeyPair pair = Ed25519.generate();
                Files.write(publicFile, Ed25519.raw(pair.getPublic()));
                Path tmp = Files.createTempFile(dir, "renter", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(tmp, pair.getPrivate().getEncoded());
                Files.move(tmp, privateFile, StandardCopyOption.ATOMIC_MOVE);
            }
            return new KeyPair(Ed25519.publicKey(Files.readAllBytes(publicFile)), Ed25519.privateKey(Files.readAllBytes(privateFile)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the renter key in " + dir, e);
        }
    }
}
