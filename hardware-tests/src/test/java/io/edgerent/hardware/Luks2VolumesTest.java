package io.edgerent.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.Volume;
import io.edgerent.edge.storage.local.LocalVolumes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A rental's /data as LUKS2 on the Pi's dm-crypt: encrypted at rest, erased by destroying its key. */
@ExtendWith(OnRaspberryPi.class)
class Luks2VolumesTest {
    @TempDir
    Path dir;

    @Test
    void a_luks2_volume_holds_data_encrypted_and_is_crypto_erased() throws Exception {
        LocalVolumes volumes = LocalVolumes.at("luks2", dir.toString());
        assertEquals("luks2", volumes.method(), "dm-crypt is on every Raspberry Pi OS kernel");
        Volume volume = volumes.open("r-hardware0001", 64L << 20);
        String marker = "edgerent-hardware-marker-" + System.nanoTime();
        Files.writeString(volume.dataDir().resolve("secret.txt"), marker.repeat(1000));
        Tools.run("sync");
        String source = Tools.run(
                        "findmnt",
                        "-n",
                        "-o",
                        "SOURCE",
                        "--target",
                        volume.dataDir().toString())
                .strip();
        assertTrue(source.startsWith("/dev/mapper/"), "mounted from a dm-crypt mapping: " + source);

        List<Path> backing;
        try (Stream<Path> files = Files.walk(dir)) {
            backing = files.filter(Files::isRegularFile)
                    .filter(p -> !p.startsWith(volume.dataDir()))
                    .toList();
        }
        assertFalse(backing.isEmpty(), "a backing image exists");
        for (Path image : backing) {
            assertFalse(
                    new String(Files.readAllBytes(image), StandardCharsets.ISO_8859_1).contains(marker),
                    image + " holds the data in the clear");
        }

        Erasure erasure = volumes.erase("r-hardware0001");
        assertTrue(erasure.verified(), "erasure verified: " + erasure);
        assertEquals("luks2", erasure.method());
        assertTrue(volumes.find("r-hardware0001").isEmpty());
        for (Path image : backing) {
            assertFalse(Files.exists(image), image + " removed");
        }
    }
}
