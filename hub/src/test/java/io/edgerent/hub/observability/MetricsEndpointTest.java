package io.edgerent.hub.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.Hub;
import io.edgerent.hub.testing.FreePorts;
import io.edgerent.link.Dtls;
import io.edgerent.protocol.Paths;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real hub on loopback answers CoAP requests, and its /metrics, fetched over HTTP, is read by the
 * Prometheus project's own Python parser (Debian's python3-prometheus-client): it parses, follows the
 * naming conventions, and holds what docs/grafana-dashboard.json asks for.
 */
class MetricsEndpointTest {
    /** Debian's interpreter: the one its python3-prometheus-client package installs for. */
    private static final String PYTHON = "/usr/bin/python3";
    /** Lists each family the parser read as "TYPE NAME" and each sample as "SAMPLE NAME". */
    private static final String PARSE = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                print("FAMILY", family.type, family.name)
                for s in family.samples:
                    print("SAMPLE", s.name)
            """;
    /** Lists every PromQL expression of the dashboard, one a line, after checking the dashboard's shape. */
    private static final String DASHBOARD = """
            import json, sys
            d = json.load(open(sys.argv[1]))
            assert isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 36, "schemaVersion"
            assert d["title"] and d["uid"], "title and uid"
            names = [v["name"] for v in d.get("templating", {}).get("list", [])]
            for p in d["panels"]:
                assert p["type"] and p["title"] and set(p["gridPos"]) >= {"h", "w", "x", "y"}, p
                if p["type"] == "row":
                    continue
                assert p["datasource"]["type"] == "prometheus", p["title"]
                assert p["targets"], p["title"]
                for t in p["targets"]:
                    assert t["refId"], p["title"]
                    print(t["expr"].replace("\\n", " "))
            """;

    /**
     * A name ending in a word that should be a label value: two names that differ only there are one family
     * ({@code _bytes_out_total} and {@code _bytes_in_total}; {@code _handshakes_succeeded_total} and
     * {@code _handshakes_failed_total}). One alone may stay: a handshake started is an event of its own.
     */
    private static final Pattern VARIANT =
            Pattern.compile("(.*)_(in|out|started|succeeded|failed|accepted|refused|dropped|received|sent)_total");

    @TempDir
    static Path dir;

    private static Hub hub;
    private static String metrics;

    @BeforeAll
    static void hubAnsweredACoapRequest() throws Exception {
        hub = Hub.start(FreePorts.hub(dir.resolve("hub")).build());
        CoapEndpoint endpoint = new CoapEndpoint.Builder()
                .setConfiguration(Dtls.plainConfiguration())
                .build();
        CoapClient client = new CoapClient("coap://127.0.0.1:" + hub.coapPort() + "/" + Paths.LISTINGS);
        try {
            client.setEndpoint(endpoint);
            CoapResponse listings = client.get();
            assertTrue(listings != null && listings.isSuccess(), "the hub answers GET listings");
        } finally {
            client.shutdown();
            endpoint.destroy();
        }
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.metricsPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(
                "text/plain; version=0.0.4; charset=utf-8",
                r.headers().firstValue("content-type").orElseThrow());
        metrics = r.body();
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void the_prometheus_parser_reads_every_family_and_histograms_have_buckets_count_and_sum() throws Exception {
        List<String> parsed = python(metrics, "-c", PARSE);
        Set<String> histograms = new TreeSet<>();
        for (String line : parsed) {
            if (line.startsWith("FAMILY histogram ")) {
                histograms.add(line.substring("FAMILY histogram ".length()));
            }
        }
        assertEquals(
                Set.of(
                        "edgerent_coap_request_duration_seconds",
                        "edgerent_database_commit_duration_seconds",
                        "edgerent_http_router_time_to_first_byte_seconds"),
                histograms);
        for (String h : histograms) {
            for (String part : List.of("_bucket", "_count", "_sum")) {
                assertTrue(parsed.contains("SAMPLE " + h + part), h + part + " in " + parsed);
            }
        }
        assertTrue(parsed.contains("FAMILY gauge edgerent_build_info"), "build info");
        assertTrue(parsed.stream().anyMatch(l -> l.startsWith("SAMPLE jvm_memory_used_bytes")), "JVM metrics");
        assertTrue(parsed.contains("SAMPLE process_cpu_seconds_total"), "process metrics");
    }

    @Test
    void the_request_and_the_commits_it_took_are_in_the_histograms() {
        assertTrue(
                value("edgerent_coap_request_duration_seconds_count{resource=\"listings\"}") >= 1,
                "the GET of listings is timed under its resource");
        assertTrue(value("edgerent_database_commit_duration_seconds_count") >= 1, "the hub's start committed");
        assertEquals(1, value("edgerent_coap_requests_total{transport=\"udp\"}"));
        assertTrue(metrics.contains("\nedgerent_build_info{version=\""), metrics);
        assertEquals(0, value("edgerent_devices_online"));
        assertEquals(0, value("edgerent_settled_amount_total{part=\"owner_share\"}"));
    }

    @Test
    void names_follow_the_conventions() {
        Matcher type = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$").matcher(metrics);
        List<String> seen = new ArrayList<>();
        Set<String> stems = new TreeSet<>();
        while (type.find()) {
            String name = type.group(1);
            String kind = type.group(2);
            seen.add(name);
            if (!name.startsWith("edgerent_")) {
                continue;
            }
            assertTrue(name.matches("edgerent_[a-z][a-z0-9_]*"), name);
            assertEquals(kind.equals("counter"), name.endsWith("_total"), name + " is a " + kind);
            Matcher variant = VARIANT.matcher(name);
            if (variant.matches()) {
                assertTrue(stems.add(variant.group(1)), name + ": a variant of another name, not a label value");
            }
            if (kind.equals("histogram")) {
                assertTrue(name.endsWith("_seconds"), name + ": latencies in seconds");
            }
            if (name.contains("bytes")) {
                assertTrue(name.endsWith("_bytes_total") || name.endsWith("_bytes"), name);
            }
        }
        assertTrue(seen.contains("edgerent_dtls_handshakes_total"), seen.toString());
        assertFalse(seen.contains("edgerent_http_router_bytes_out_total"), seen.toString());
        assertTrue(metrics.contains("\nedgerent_dtls_handshakes_total{result=\"failed\"} 0"), metrics);
        assertTrue(metrics.contains("\nedgerent_vouchers_total{result=\"accepted\"} 0"), metrics);
    }

    @Test
    void every_metric_the_grafana_dashboard_queries_is_in_metrics() throws Exception {
        Path dashboard = Path.of("..", "docs", "grafana-dashboard.json");
        List<String> expressions = python("", "-c", DASHBOARD, dashboard.toString());
        assertTrue(expressions.size() >= 10, "the dashboard's queries: " + expressions);
        Set<String> samples = new TreeSet<>();
        for (String line : python(metrics, "-c", PARSE)) {
            if (line.startsWith("SAMPLE ")) {
                samples.add(line.substring("SAMPLE ".length()));
            }
        }
        Matcher name =
                Pattern.compile("\\b(?:edgerent|jvm|process)_[a-z0-9_]+").matcher(String.join("\n", expressions));
        int checked = 0;
        while (name.find()) {
            assertTrue(samples.contains(name.group()), name.group() + " is queried but not in /metrics");
            checked++;
        }
        assertTrue(checked >= 10, "names checked: " + checked);
    }

    /** The value of the sample {@code name} (with its labels as written) in the scraped text. */
    private static double value(String name) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + " "))
                .findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .orElseThrow(() -> new AssertionError("no " + name + " in\n" + metrics));
    }

    /** Runs Debian's python3 with {@code args}, {@code input} on stdin; its output lines, or a failure saying why. */
    private static List<String> python(String input, String... args) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new AssertionError(PYTHON + " is missing: apt-get install python3 python3-prometheus-client"
                    + " (scripts/prereqs.sh installs both)");
        }
        List<String> command = new ArrayList<>(List.of(PYTHON));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "python3 finished");
        if (out.contains("No module named 'prometheus_client'")) {
            throw new AssertionError("Python's Prometheus parser is missing: apt-get install python3-prometheus-client"
                    + " (scripts/prereqs.sh installs it)");
        }
        assertEquals(0, p.exitValue(), "python3 failed:\n" + out);
        return out.lines().toList();
    }
}
