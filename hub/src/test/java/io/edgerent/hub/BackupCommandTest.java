package io.edgerent.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.backup.Backups;
import io.edgerent.hub.backup.Manifest;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code edgerent hub backup} and {@code restore} against a hub running on loopback. */
class BackupCommandTest {
    @TempDir
    Path root;

    @Test
    void a_running_hub_writes_the_backup_it_is_asked_for_and_restore_brings_back_its_key() {
        Path data = root.resolve("hub");
        String key;
        try (Hub hub = Hub.start(FreePorts.hub(data).build())) {
            key = hub.hubKey();
            Manifest manifest = BackupCommand.throughHub(hub.coapPort(), data, root.resolve("backup"));
            assertTrue(manifest.holdsDatabase(), manifest.encode());
            assertEquals(manifest, Manifest.read(root.resolve("backup")));

            String refused =
                    assertRefused(() -> BackupCommand.throughHub(hub.coapPort(), data, root.resolve("backup")));
            assertTrue(refused.contains("is not empty"), refused);
        }
        Result restored = run(
                "restore",
                root.resolve("backup").toString(),
                "--data",
                root.resolve("new").toString());
        assertEquals(0, restored.exit(), restored.err());
        assertTrue(restored.out().contains("hub key: " + key), restored.out());
        assertEquals(key, HubKey.loadOrCreate(root.resolve("new")).openSsh());
        assertTrue(Files.exists(root.resolve("new").resolve(Backups.DATABASE_FILE)));
    }

    @Test
    void errors_are_one_line_and_exit_2() throws Exception {
        Files.createDirectories(root.resolve("nothing"));
        Result backup = run(
                "backup",
                root.resolve("b").toString(),
                "--data",
                root.resolve("nothing").toString());
        assertEquals(2, backup.exit());
        assertEquals(1, backup.err().lines().count(), backup.err());
        assertTrue(backup.err().startsWith("edgerent hub backup: no hub database (hub.mv.db) in"), backup.err());
        assertFalse(Files.exists(root.resolve("b")));

        Result restore = run(
                "restore",
                root.resolve("nothing").toString(),
                "--data",
                root.resolve("n").toString());
        assertEquals(2, restore.exit());
        assertTrue(restore.err().startsWith("edgerent hub restore: no manifest.txt in"), restore.err());

        Result missing = run("restore", root.resolve("nothing").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("--data=NEWDIR"), missing.err());
    }

    @Test
    void help_says_what_each_command_writes_and_checks() {
        String backup =
                new CommandLine(new HubMain()).getSubcommands().get("backup").getUsageMessage();
        assertTrue(backup.contains("new or empty directory") && backup.contains("pg_dump"), backup);
        String restore =
                new CommandLine(new HubMain()).getSubcommands().get("restore").getUsageMessage();
        assertTrue(restore.contains("nothing is written") && restore.contains("pg_restore"), restore);
        assertTrue(new CommandLine(new HubMain()).getUsageMessage().contains("backup"));
    }

    private static String assertRefused(Runnable call) {
        try {
            call.run();
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
        throw new AssertionError("was not refused");
    }

    record Result(int exit, String out, String err) {}

    /** Runs {@code edgerent hub ARGS} as main would, its output captured. */
    private static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = HubMain.run(args, System.out, System.err);
            return new Result(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
