package io.edgerent.hub.identity;

import io.edgerent.protocol.Names;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** The hub operator's secret for issuing tokens: created once, readable by the operator only. */
public final class AdminSecret {
    /** The file in the hub's data directory. */
    public static final String FILE = "admin.secret";

    private AdminSecret() {}

    /** The secret in {@code dataDir/admin.secret}, written atomically on first start. */
    public static String loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        try {
            if (!Files.exists(file)) {
                Path tmp = Files.createTempFile(
                        dataDir,
                        "admin",
                        ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, Names.newSecret() + "\n");
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file, e);
        }
    }
}
