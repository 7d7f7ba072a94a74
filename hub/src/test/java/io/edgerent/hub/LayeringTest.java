package io.edgerent.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The hub's direction, read from its sources: adapters → services → store. The rules live in
 * {@link Layering}; this test runs them over {@code src/main/java} and shows that each rule fires.
 */
class LayeringTest {
    private static final Path SOURCES = Path.of("src/main/java/io/edgerent/hub");

    @Test
    void the_hub_sources_keep_the_direction() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(SOURCES)) {
            for (Path p : paths.filter(p -> p.toString().endsWith(".java")).toList()) {
                files.put(SOURCES.relativize(p).toString(), Files.readString(p));
            }
        }
        assertTrue(files.size() > 30, "found the hub's sources under " + SOURCES.toAbsolutePath());
        assertEquals(List.of(), Layering.violations(files));
        // HTTP is Netty's: the JDK's HTTP server (one thread per exchange, lenient framing) is not to come back.
        assertEquals(
                List.of(),
                files.entrySet().stream()
                        .filter(f -> f.getValue().contains("com.sun.net.httpserver"))
                        .map(Map.Entry::getKey)
                        .toList());
    }

    @Test
    void a_store_class_that_reaches_up_to_a_service_is_refused() {
        assertEquals(
                List.of("store/Sql.java: store imports io.edgerent.hub.rental.Registry, a layer above it"),
                Layering.violations(tree(
                        "store/Sql.java",
                        "package io.edgerent.hub.store;\nimport io.edgerent.hub.rental.Registry;\n")));
    }

    @Test
    void an_adapter_that_calls_another_adapter_is_refused() {
        assertEquals(
                List.of("web/WebUi.java: web imports io.edgerent.hub.gateway.ssh.SshGateway, another adapter"),
                Layering.violations(tree(
                        "web/WebUi.java",
                        "package io.edgerent.hub.web;\nimport io.edgerent.hub.gateway.ssh.SshGateway;\n")));
    }

    @Test
    void a_service_that_speaks_a_transport_is_refused_even_by_its_full_name() {
        assertEquals(
                List.of(
                        "payment/Ledger.java: payment uses org.eclipse.californium.core.CoapClient, a transport library"),
                Layering.violations(
                        tree(
                                "payment/Ledger.java",
                                "package io.edgerent.hub.payment;\nclass Ledger { org.eclipse.californium.core.CoapClient c; }\n")));
    }

    @Test
    void jdbc_outside_the_store_is_refused() {
        assertEquals(
                List.of("rental/Registry.java: rental uses java.sql.Connection, JDBC, which stays in store"),
                Layering.violations(tree(
                        "rental/Registry.java", "package io.edgerent.hub.rental;\nimport java.sql.Connection;\n")));
    }

    @Test
    void services_that_import_each_other_both_ways_are_refused() {
        Map<String, String> files = tree(
                "payment/Channels.java", "package io.edgerent.hub.payment;\nimport io.edgerent.hub.rental.Registry;\n");
        files.putAll(tree(
                "rental/Registry.java", "package io.edgerent.hub.rental;\nimport io.edgerent.hub.payment.Channels;\n"));
        assertEquals(
                List.of("packages import each other in a cycle: payment -> rental -> payment"),
                Layering.violations(files));
    }

    @Test
    void a_package_without_its_package_info_is_refused() {
        Map<String, String> files = new TreeMap<>();
        files.put("market/MarketFilter.java", "package io.edgerent.hub.market;\n");
        assertEquals(List.of("market has no package-info.java saying what lives there"), Layering.violations(files));
    }

    @Test
    void comments_and_strings_naming_other_packages_are_not_imports() {
        assertEquals(
                List.of(),
                Layering.violations(
                        tree(
                                "store/Sql.java",
                                "package io.edgerent.hub.store;\n/** Unlike {@link io.edgerent.hub.web.WebUi}, see org.eclipse.californium.core. */\n"
                                        + "class Sql { String s = \"io.edgerent.hub.web.WebUi org.apache.sshd.x\"; } // io.netty.Channel\n")));
    }

    /** One source file and its package's package-info. */
    private static Map<String, String> tree(String file, String source) {
        Map<String, String> files = new TreeMap<>();
        files.put(file, source);
        String dir = file.substring(0, file.lastIndexOf('/'));
        files.put(dir + "/package-info.java", "/** Test. */\npackage io.edgerent.hub." + dir.replace('/', '.') + ";\n");
        return new TreeMap<>(files);
    }
}
