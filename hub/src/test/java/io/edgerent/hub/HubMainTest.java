package io.edgerent.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code edgerent hub}'s settings: one declaration each, defaults and bounds from HubConfig, the environment read too. */
class HubMainTest {
    @TempDir
    Path dir;

    @Test
    void options_default_to_hub_config_s_defaults_and_take_opt_equals_value() {
        HubMain main = new HubMain();
        new CommandLine(main).parseArgs("--fee-bps=250", "--ssh-port", "2022");
        HubConfig defaults = HubConfig.builder().build();
        assertEquals(250, main.feeBps);
        assertEquals(2022, main.sshPort);
        assertEquals(defaults.coapsPort(), main.coapsPort);
        assertEquals(defaults.paymentGrace().toSeconds(), main.paymentGrace);
        assertEquals(defaults.tunnelPortMin() + "-" + defaults.tunnelPortMax(), main.tunnelPorts);
    }

    @Test
    void help_shows_each_default_and_how_to_set_it_from_the_environment() {
        String help = new CommandLine(new HubMain()).getUsageMessage();
        assertTrue(help.contains("--fee-bps=N") && help.contains("(default 500)"), help);
        assertTrue(help.contains("EDGERENT_HUB_FEE_BPS"), help);
        assertTrue(help.contains("Exit codes:"), help);
    }

    @Test
    void bounds_are_hub_config_s() {
        assertThrows(
                IllegalArgumentException.class,
                () -> HubConfig.builder().paymentGrace(Duration.ofDays(2)).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> HubConfig.builder().suspendLimit(Duration.ofSeconds(-1)).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> HubConfig.builder().sshPort(70_000).build());
    }

    @Test
    void a_setting_from_the_environment_is_checked_like_one_on_the_command_line()
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                HubMain.class.getName(),
                "--data",
                dir.resolve("hub").toString()));
        pb.environment().put("EDGERENT_HUB_FEE_BPS", "20000");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the hub refuses at once");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("edgerent hub: the hub fee is 0 to 10000 basis points, got 20000"), out);
    }
}
