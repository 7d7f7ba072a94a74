package io.edgerent.systemtests.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A hub's /metrics, read as an operator's scraper reads it. */
public final class Metrics {
    private Metrics() {}

    public static String metrics(World world) {
        return metrics(URI.create("http://127.0.0.1:" + world.hub.metricsPort() + "/metrics"));
    }

    /** A hub's /metrics text. */
    public static String metrics(URI metrics) {
        try {
            return HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static long metric(World world, String name) {
        return metric(metrics(world), name);
    }

    /**
     * The value of the sample {@code name} in /metrics {@code text}, labels included as the hub writes them (sorted
     * by name): {@code edgerent_coap_errors_total{class="4",transport="dtls"}}. Prometheus values are floats; the
     * hub's are whole numbers (counts, bytes, money in the smallest unit), exact below 2^53.
     */
    public static long metric(String text, String name) {
        double value = text.lines()
                .filter(l -> l.startsWith(name + " "))
                .findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .orElseThrow(() -> new AssertionError("no " + name + " in\n" + text));
        if (value != Math.rint(value)) {
            throw new AssertionError(name + " is " + value + ", not a whole number");
        }
        return (long) value;
    }
}
