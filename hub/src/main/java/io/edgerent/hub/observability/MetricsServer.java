package io.edgerent.hub.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} (Prometheus text format 0.0.4) and {@code GET /health} (JSON; 200 when the
 * database answers, 503 when not), on their own port, loopback by default: they tell the fleet's size.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    /** What /health reports: whether the hub can serve, and a few facts to go with it. */
    public record Health(boolean up, String json) {}

    private final HttpServer server;

    public MetricsServer(InetSocketAddress address, Supplier<String> metrics, Supplier<Health> health) {
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen for /metrics on " + address + " (is another hub running there?)", e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> new Thread(r, "metrics-http")));
        server.createContext(
                "/metrics",
                exchange -> answer(exchange, () -> {
                    return new Answer(200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
                }));
        server.createContext(
                "/health",
                exchange -> answer(exchange, () -> {
                    Health h = health.get();
                    return new Answer(h.up() ? 200 : 503, "application/json", h.json());
                }));
    }

    public void start() {
        server.start();
        LOG.info(
                "metrics at http://{}:{}/metrics, health at /health",
                server.getAddress().getHostString(),
                port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private record Answer(int status, String type, String body) {}

    private static void answer(HttpExchange exchange, Supplier<Answer> work) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            Answer a;
            if (!exchange.getRequestMethod().equals("GET")
                    && !exchange.getRequestMethod().equals("HEAD")) {
                a = new Answer(405, "text/plain", "only GET\n");
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            } else if (!path.equals("/metrics") && !path.equals("/health")) {
                a = new Answer(404, "text/plain", "this port serves /metrics and /health\n");
            } else {
                try {
                    a = work.get();
                } catch (RuntimeException e) {
                    LOG.error("{} failed", path, e);
                    a = new Answer(503, "text/plain", "the hub could not say: " + e.getMessage() + "\n");
                }
            }
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", a.type());
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(a.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
