package io.edgerent.hub.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/grafana-dashboard.json loads in Grafana's schema: scripts/grafana-schema/check.sh types it with the
 * dashboard types Grafana generates from its schema (npm @grafana/schema, pinned) and runs the TypeScript
 * compiler, which refuses an unknown or mistyped property. A broken copy shows the check has teeth.
 */
class GrafanaDashboardSchemaTest {
    private static final Path DASHBOARD = Path.of("..", "docs", "grafana-dashboard.json");
    private static final Path CHECK = Path.of("..", "scripts", "grafana-schema", "check.sh");

    @TempDir
    Path dir;

    @Test
    void the_dashboard_conforms_to_grafanas_dashboard_types() throws Exception {
        Result r = check(DASHBOARD);
        assertEquals(0, r.exit(), "tsc refused docs/grafana-dashboard.json against Grafana's types:\n" + r.output());
    }

    @Test
    void a_panel_height_written_as_text_is_refused_at_its_line() throws Exception {
        String json = Files.readString(DASHBOARD);
        String broken = json.replaceFirst("\"h\": 8,", "\"h\": \"x\",");
        assertNotEquals(json, broken, "the dashboard has a panel 8 rows high to break");
        Path copy = Files.writeString(dir.resolve("broken-dashboard.json"), broken);
        long line = broken.substring(0, broken.indexOf("\"h\": \"x\"")).lines().count();

        Result r = check(copy);

        assertEquals(2, r.exit(), "tsc's exit code for type errors:\n" + r.output());
        assertTrue(
                r.output().contains(copy.toRealPath() + "(" + line + ",")
                        && r.output().contains("Type 'string' is not assignable to type 'number'"),
                r.output());
    }

    private record Result(int exit, String output) {}

    /** Runs the check over {@code dashboard}; fails saying what to install when node is missing. */
    private static Result check(Path dashboard) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", CHECK.toString(), dashboard.toString())
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "check.sh finished");
        if (out.contains("node and npm are missing")) {
            throw new AssertionError(out.strip());
        }
        return new Result(p.exitValue(), out);
    }
}
