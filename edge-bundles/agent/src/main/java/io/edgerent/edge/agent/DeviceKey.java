package io.edgerent.edge.agent;

import io.edgerent.protocol.Ed25519;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;

/** The device's Ed25519 key pair: created once, kept in the data directory readable by its owner only. */
final class DeviceKey {
    private DeviceKey() {}

    static KeyPair loadOrCreate(Path dataDir) {
        Path privateFile = dataDir.resolve("device.key");
        Path publicFile = dataDir.resolve("device.pub");
        try {
            if (!Files.exists(privateFile)) {
                KeyPair pair = Ed25519.generate();
                Files.write(publicFile, Ed25519.raw(pair.getPublic()));
                Path tmp = Files.createTempFile(dataDir, "device", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(tmp, pair.getPrivate().getEncoded());
                Files.move(tmp, privateFile, StandardCopyOption.ATOMIC_MOVE);
            }
            return new KeyPair(Ed25519.publicKey(Files.readAllBytes(publicFile)), Ed25519.privateKey(Files.readAllBytes(privateFile)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the device key in " + dataDir, e);
        }
    }
}
