package io.edgerent.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code edgerent hub --config FILE}: what an operator writes in /etc/edgerent/hub.conf, and what the hub makes of it. */
class SettingsFileTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run hub(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HubMain.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void the_printed_file_names_every_setting_with_its_default_and_reads_back_as_the_defaults() throws Exception {
        Run printed = hub("--print-config");
        assertEquals(0, printed.code(), printed.err());
        for (CommandLine.Model.OptionSpec option :
                new CommandLine(new HubMain()).getCommandSpec().options()) {
            String name = option.longestName().substring(2);
            boolean setting = !List.of("config", "check-config", "print-config", "help", "version")
                    .contains(name);
            assertEquals(setting, printed.out().contains("\n#" + name + " ="), name);
        }
        Path commented = dir.resolve("hub.conf");
        Files.writeString(commented, printed.out());
        assertEquals(new Run(0, commented + ": ok\n", ""), hub("--config", commented.toString(), "--check-config"));

        Path uncommented = dir.resolve("all.conf");
        Files.writeString(uncommented, printed.out().replaceAll("(?m)^#([a-z])", "$1"));
        assertEquals(new Run(0, uncommented + ": ok\n", ""), hub("--config", uncommented.toString(), "--check-config"));
    }

    @Test
    void every_mistake_is_named_with_its_line_and_nothing_starts() throws Exception {
        Path file = dir.resolve("hub.conf");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "# an operator's file",
                        "fee-bps = 20000",
                        "fee-bp = 3",
                        "coaps-port = abc",
                        "this is not a setting",
                        "domain = ok.example",
                        "domain = Not A Name",
                        "check-config = true",
                        "tunnel-ports = 20000",
                        ""));
        Run check = hub("--config", file.toString(), "--check-config");
        assertEquals(2, check.code());
        assertEquals("", check.out());
        List<String> said = check.err().lines().toList();
        assertEquals(
                List.of(
                        "edgerent hub: " + file + ":5: not 'name = value': this is not a setting",
                        "edgerent hub: " + file + ":7: domain is set again (first on line 6)",
                        "edgerent hub: " + file + ":2: fee-bps: the hub fee is 0 to 10000 basis points, got 20000",
                        "edgerent hub: " + file + ":3: fee-bp: no such setting (did you mean fee-bps?)",
                        "edgerent hub: " + file
                                + ":4: coaps-port: Invalid value for option '--coaps-port': 'abc' is not an int",
                        "edgerent hub: " + file + ":7: domain: the domain must be a lowercase DNS name like"
                                + " hub.example.org, got 'Not A Name'",
                        "edgerent hub: " + file + ":8: check-config: no such setting",
                        "edgerent hub: " + file + ":9: tunnel-ports: --tunnel-ports takes a range like 20000-20999,"
                                + " got '20000'",
                        "edgerent hub: 8 problem(s) in the settings; nothing was started"),
                said);
        // Started rather than checked: the same refusal, before anything listens or is written.
        Run start =
                hub("--config", file.toString(), "--data", dir.resolve("data").toString());
        assertEquals(2, start.code());
        assertEquals(check.err(), start.err());
        assertTrue(Files.notExists(dir.resolve("data")), "nothing was written");
    }

    @Test
    void the_command_line_wins_over_the_file_and_the_file_over_the_defaults() throws Exception {
        Path file = dir.resolve("hub.conf");
        Files.writeString(file, "fee-bps = 250\nssh-port = 2200\ndata = \"" + dir.resolve("with space") + "\"\n");
        HubMain main = new HubMain();
        new CommandLine(main)
                .setDefaultValueProvider(new HubSettings.Defaults(io.edgerent.hub.config.ConfigFile.read(file), false))
                .parseArgs("--ssh-port", "2201");
        assertEquals(250, main.feeBps, "from the file");
        assertEquals(2201, main.sshPort, "the command line wins");
        assertEquals(dir.resolve("with space"), main.data, "a quoted value keeps its space");
        assertEquals(5684, main.coapsPort, "not in the file: the default");
    }

    @Test
    void a_file_that_cannot_be_read_is_said_so() {
        Run run = hub("--config", dir.resolve("absent.conf").toString(), "--check-config");
        assertEquals(2, run.code());
        assertTrue(
                run.err().startsWith("edgerent hub: cannot read the settings file " + dir.resolve("absent.conf")),
                run.err());
    }

    @Test
    void log_format_json_from_the_file_makes_every_line_json_from_the_first() throws Exception {
        Path file = dir.resolve("hub.conf");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "log-format = json",
                        "data = " + dir.resolve("data"),
                        "coaps-port = 0",
                        "coap-port = 0",
                        "ssh-port = 0",
                        "http-port = 0",
                        "https-port = 0",
                        "metrics = 127.0.0.1:0",
                        ""));
        Process hub = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        HubMain.class.getName(),
                        "--config",
                        file.toString()))
                .redirectError(dir.resolve("stderr").toFile())
                .start();
        try (var out = new java.io.BufferedReader(
                new java.io.InputStreamReader(hub.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("hub running")) {
                // until the hub has started: every class that logs has logged its first line
            }
            assertTrue(line != null, "the hub started: " + Files.readString(dir.resolve("stderr")));
        } finally {
            hub.destroy();
            hub.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        List<String> lines = Files.readAllLines(dir.resolve("stderr"));
        assertTrue(lines.size() > 3, "the hub logged as it started: " + lines);
        for (String line : lines) {
            assertTrue(line.startsWith("{") && line.endsWith("}"), "not a JSON log line: " + line);
        }
    }
}
