package io.edgerent.client.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.client.ClientMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it, without a hub: help, version, completion, and what it refuses before any request. */
class CommandLineTest {
    @TempDir
    Path home;

    record Run(int code, String out, String err) {}

    private Run edgerent(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new ClientMain(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        home)
                .run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void version_is_the_build_s_at_the_top_and_under_every_command() {
        for (List<String> args : List.of(
                List.of("--version"), List.of("-V"), List.of("market", "--version"), List.of("link", "add", "-V"))) {
            Run r = edgerent(args.toArray(String[]::new));
            assertEquals(0, r.code(), args + ": " + r);
            assertTrue(r.out().matches("edgerent \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), args + ": " + r.out());
        }
    }

    @Test
    void each_command_s_help_lists_its_own_options_and_the_exit_codes() {
        Map<String, List<String>> own = Map.of(
                "market", List.of("--hub", "--output"),
                "rent", List.of("--hours", "--template", "--max-price", "--deposit", "--detach", "--no-wait", "--key"),
                "token", List.of("--owner", "--dashboard", "--admin-secret"),
                "earnings", List.of("--owner", "--admin-secret", "--output"),
                "status", List.of("--output"),
                "extend", List.of("--hours", "--deposit"));
        List<String> all = List.of(
                "--hours",
                "--template",
                "--owner",
                "--dashboard",
                "--admin-secret",
                "--output",
                "--detach",
                "--max-price",
                "--pay-every",
                "--ref");
        own.forEach((command, options) -> {
            Run r = edgerent(command, "--help");
            assertEquals(0, r.code(), command + ": " + r);
            options.forEach(o -> assertTrue(r.out().contains(o), command + " --help names " + o + ":\n" + r.out()));
            all.stream()
                    .filter(o -> !options.contains(o) && !(command.equals("rent") && o.equals("--pay-every")))
                    .forEach(o -> assertFalse(
                            r.out().contains(o + "="), command + " --help does not offer " + o + ":\n" + r.out()));
            assertTrue(
                    r.out().contains("Exit codes:") && r.out().contains("3   the hub did not answer"),
                    command + ":\n" + r.out());
        });
    }

    @Test
    void an_option_of_another_command_is_refused_before_any_request() {
        Run r = edgerent("market", "--hours", "3", "--hub", "coap://127.0.0.1:9");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("edgerent market: Unknown options: '--hours', '3'"), r.err());
        assertFalse(Files.exists(home.resolve("known_hubs")), "nothing was recorded");
    }

    @Test
    void values_are_taken_as_opt_equals_value_and_checked() {
        Run hours = edgerent("rent", "d-000000000001", "--hours=many", "--hub=coap://127.0.0.1:9");
        assertEquals(2, hours.code(), hours.toString());
        assertTrue(hours.err().contains("Invalid value for option '--hours': 'many' is not an int"), hours.err());
        Run hub = edgerent("market", "--hub=http://example.invalid/");
        assertEquals(2, hub.code(), hub.toString());
        assertTrue(hub.err().contains("--hub must look like coaps://HOST:PORT"), hub.err());
        Run template = edgerent("rent", "d-000000000001", "--template=wordpress");
        assertEquals(2, template.code(), template.toString());
        assertTrue(template.err().contains("--template takes base, web or files, got 'wordpress'"), template.err());
        Run output = edgerent("rentals", "-o", "yaml");
        assertEquals(2, output.code(), output.toString());
        assertTrue(output.err().contains("expected one of [text, json]"), output.err());
        Run both = edgerent("rent", "d-000000000001", "--detach", "--no-wait");
        assertEquals(2, both.code(), both.toString());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
    }

    @Test
    void no_command_or_an_unknown_one_is_a_usage_error_that_names_the_commands() {
        Run none = edgerent();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("which command?") && none.err().contains("market"), none.err());
        Run unknown = edgerent("markte");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("Unmatched argument") && unknown.err().contains("market"), unknown.err());
    }

    @Test
    void completion_prints_a_bash_script_that_completes_commands_and_their_options() {
        Run r = edgerent("completion");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r.out());
        assertTrue(
                r.out().contains("complete -F _complete_edgerent") && r.out().contains("rentals"),
                "names the commands");
        assertTrue(r.out().contains("--output") && r.out().contains("--max-price"), "names the commands' options");
    }

    @Test
    void a_hub_that_does_not_answer_is_exit_code_3() {
        Run r = edgerent("market", "-o", "json", "--hub", "coap://127.0.0.1:9");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.err().startsWith("edgerent market: no answer from the hub at coap://127.0.0.1:9"), r.err());
        assertEquals("", r.out());
    }
}
