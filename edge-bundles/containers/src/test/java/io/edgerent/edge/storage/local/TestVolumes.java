package io.edgerent.edge.storage.local;

import io.edgerent.edge.storage.RentalVolumes;
import java.nio.file.Path;

/** Encrypted volumes for tests and benchmarks in other packages. */
public final class TestVolumes {
    private TestVolumes() {}

    public static RentalVolumes fscrypt(Path base) {
        return LocalVolumes.at("fscrypt", base.toString());
    }
}
