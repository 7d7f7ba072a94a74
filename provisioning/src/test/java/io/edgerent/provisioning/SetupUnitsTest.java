package io.edgerent.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units setup.sh writes on a Pi (the device and its console, and with Kura the storage helper), made here as its
 * {@code unit} function makes them and checked by systemd's own {@code systemd-analyze verify}.
 */
class SetupUnitsTest {
    private static final Pattern UNIT = Pattern.compile("unit (\\S+) <<'UNIT'\n(.*?)\nUNIT\n", Pattern.DOTALL);
    /** What setup.sh's unit function appends to each. */
    private static final String TAIL = "Restart=always\nRestartSec=5\n[Install]\nWantedBy=multi-user.target\n";

    @TempDir
    Path dir;

    @Test
    void everyUnitSetupWritesIsOneSystemdAccepts() throws Exception {
        String setup;
        try (InputStream in = SetupUnitsTest.class.getResourceAsStream("setup.sh")) {
            setup = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> names = new ArrayList<>();
        Matcher m = UNIT.matcher(setup);
        while (m.find()) {
            names.add(m.group(1));
            Files.writeString(dir.resolve(m.group(1) + ".service"), m.group(2) + "\n" + TAIL);
        }
        assertEquals(List.of("edgerent-storage-helper", "edgerent-device", "edgerent-console"), names);
        assertTrue(setup.contains(TAIL.replace("\n", "\\n")), "the unit function appends what this test does");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "skipped: no systemd-analyze here");
        for (String name : names) {
            Process verify = new ProcessBuilder(
                            "systemd-analyze",
                            "verify",
                            dir.resolve(name + ".service").toString())
                    .redirectErrorStream(true)
                    .start();
            String said = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, verify.waitFor(), name + ": " + said);
            assertEquals("", said.strip(), name + ": systemd had something to say");
        }
    }
}
