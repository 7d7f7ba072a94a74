package io.edgerent.hub.testing;

import io.edgerent.hub.config.HubConfig;
import java.nio.file.Path;

/** A hub's settings for a test: data in {@code dir}, every port one the kernel picks, so tests never collide. */
public final class FreePorts {
    private FreePorts() {}

    public static HubConfig.Builder hub(Path dir) {
        return HubConfig.builder()
                .dataDir(dir)
                .coapPort(0)
                .coapsPort(0)
                .sshPort(0)
                .httpPort(0)
                .httpsPort(0)
                .metrics("127.0.0.1", 0);
    }
}
