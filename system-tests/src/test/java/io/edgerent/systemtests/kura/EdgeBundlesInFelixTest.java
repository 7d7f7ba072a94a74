package io.edgerent.systemtests.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.World;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge bundles resolve in Apache Felix and every component activates. */
class EdgeBundlesInFelixTest {
    @TempDir
    Path dir;

    @Test
    void every_bundle_resolves_and_every_component_activates() {
        World.Result check = World.run(
                Duration.ofSeconds(90),
                "java",
                "-jar",
                World.DEVICE_JAR.toString(),
                "--check",
                "--data",
                dir.toString(),
                "--hub",
                "coap://127.0.0.1:9");
        assertEquals(0, check.code(), check.out() + check.err());
        assertTrue(check.out().contains("all bundles active, all components active"), check.out());
    }
}
