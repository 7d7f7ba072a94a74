package io.edgerent.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgerent provision}'s command line, before it touches an image or a hub. */
class ProvisionCommandLineTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private Run provision(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new ProvisionMain(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void help_lists_the_options_and_the_exit_codes() {
        Run help = provision("--help");
        assertEquals(0, help.code());
        assertTrue(
                help.out().contains("--wifi-psk=PSK")
                        && help.out().contains("Exit codes:")
                        && help.out().contains("the hub did not answer"),
                help.out());
        Run version = provision("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("edgerent provision "), version.out());
    }

    @Test
    void options_take_opt_equals_value_and_a_wrong_one_is_refused_before_anything_is_written() throws Exception {
        Path image = Files.write(dir.resolve("pi.img"), new byte[512]);
        Run count = provision(
                "--image=" + image,
                "--hub=coap://127.0.0.1:9",
                "--owner=olga",
                "--count=1000",
                "--out=" + dir.resolve("fleet"));
        assertEquals(2, count.code(), count.toString());
        assertTrue(count.err().contains("--count takes a number from 1 to 999, got 1000"), count.err());
        Run unknown = provision("--image", image.toString(), "--colour", "blue");
        assertEquals(2, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("Unknown option"), unknown.err());
        assertTrue(Files.notExists(dir.resolve("fleet")), "nothing was written");
    }
}
