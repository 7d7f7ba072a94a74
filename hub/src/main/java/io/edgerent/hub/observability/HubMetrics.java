package io.edgerent.hub.observability;

import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.payment.Books;
import io.edgerent.hub.payment.Channels;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RentalView;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.network.interceptors.MessageInterceptorAdapter;
import org.eclipse.californium.elements.util.ClockUtil;
import org.eclipse.californium.scandium.DtlsHealth;
import org.eclipse.californium.scandium.DtlsHealthExtended;

/**
 * The hub's metrics, in one registry of its own (several hubs may share a JVM in tests), written as
 * Prometheus text by {@link #prometheus}. Names follow Prometheus' conventions: base units in the name,
 * counters end in {@code _total}, variants are labels. Counters and histograms are fed as things happen;
 * what the database knows (devices, rentals, money settled) is read once per scrape, as a {@link Reading}.
 * Money is counted in the smallest currency unit: a float64 holds it exactly up to 2^53.
 */
public final class HubMetrics {
    /** Bucket bounds of the latency histograms, in seconds: from a millisecond to ten seconds. */
    static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    /** The states a rental passes through, shown from the start (at 0) so that dashboards have them. */
    private static final List<String> RENTAL_STATES =
            List.of(RentalView.PREPARING, RentalView.ACTIVE, RentalView.ENDING, RentalView.ENDED);

    /** What the hub's database and its parts say at scrape time. */
    public record Reading(
            long devicesOnline,
            long devicesRegistered,
            long devicesFlagged,
            Map<String, Long> rentals,
            long databaseRetries,
            long commits,
            long commitPieces,
            Federation.Counts federation,
            Books.Settled settled) {}

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    /** The reading of the scrape under way; scrapes run one at a time ({@link MetricsServer}'s one worker). */
    private volatile Reading reading;

    private final Counter coapRequests = Counter.builder()
            .name("edgerent_coap_requests_total")
            .help("CoAP requests received, per transport.")
            .labelNames("transport")
            .register(registry);
    private final Counter coapErrors = Counter.builder()
            .name("edgerent_coap_errors_total")
            .help("CoAP error answers sent, per transport and code class (4: the client's, 5: the hub's).")
            .labelNames("transport", "class")
            .register(registry);
    private final Histogram coapSeconds = Histogram.builder()
            .name("edgerent_coap_request_duration_seconds")
            .help("From a CoAP request's arrival to its answer, per resource (devices' IDs shown as {id}).")
            .unit(Unit.SECONDS)
            .labelNames("resource")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .register(registry);
    private final Counter handshakesStarted = Counter.builder()
            .name("edgerent_dtls_handshakes_started_total")
            .help("Full DTLS handshakes started.")
            .register(registry);
    private final Counter handshakes = Counter.builder()
            .name("edgerent_dtls_handshakes_total")
            .help("DTLS handshakes ended, by result (succeeded, failed).")
            .labelNames("result")
            .register(registry);
    private final Counter records = Counter.builder()
            .name("edgerent_dtls_records_total")
            .help("DTLS records by direction (received, sent) and result: processed, or dropped (received: replayed,"
                    + " forged, or of no session).")
            .labelNames("direction", "result")
            .register(registry);
    private final Gauge dtlsSessions = Gauge.builder()
            .name("edgerent_dtls_sessions")
            .help("DTLS sessions held.")
            .register(registry);
    private final Counter vouchers = Counter.builder()
            .name("edgerent_vouchers_total")
            .help("Payment vouchers received, by result (accepted, refused).")
            .labelNames("result")
            .register(registry);
    private final Counter usageRefused = Counter.builder()
            .name("edgerent_usage_reports_refused_total")
            .help("Devices' usage reports refused as impossible, by reason.")
            .labelNames("reason")
            .register(registry);
    private final Counter routerSent = Counter.builder()
            .name("edgerent_http_router_sent_bytes_total")
            .help("Bytes the HTTP router sent to visitors from rentals' web servers.")
            .unit(Unit.BYTES)
            .register(registry);
    private final Histogram routerFirstByte = Histogram.builder()
            .name("edgerent_http_router_time_to_first_byte_seconds")
            .help("From a visitor's request head to the head of the rental's answer passed on.")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .register(registry);
    private final Histogram commitSeconds = Histogram.builder()
            .name("edgerent_database_commit_duration_seconds")
            .help("How long the database took to commit a transaction.")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .register(registry);

    public final Coap plainCoap = new Coap("udp");
    public final Coap secureCoap = new Coap("dtls");
    public final Dtls dtls = new Dtls();

    /** Registers every metric, with {@code version} as this build's ({@code edgerent_build_info}). */
    public HubMetrics(String version) {
        Info.builder()
                .name("edgerent_build_info")
                .help("This hub's build; always 1.")
                .labelNames("version")
                .register(registry)
                .setLabelValues(version);
        JvmMetrics.builder().register(registry);
        handshakes.initLabelValues("succeeded");
        handshakes.initLabelValues("failed");
        for (String direction : List.of("received", "sent")) {
            records.initLabelValues(direction, "processed");
            records.initLabelValues(direction, "dropped");
        }
        vouchers.initLabelValues("accepted");
        vouchers.initLabelValues("refused");
        Channels.ImpossibleUsage.REASONS.forEach(usageRefused::initLabelValues);
        gauge("edgerent_devices_online", "Devices heard from within the offline limit.", r -> r.devicesOnline());
        gauge(
                "edgerent_devices_registered",
                "Devices registered with this hub's database.",
                r -> r.devicesRegistered());
        gauge(
                "edgerent_devices_flagged",
                "Devices marked for an impossible usage report (shown on the market).",
                r -> r.devicesFlagged());
        GaugeWithCallback.builder()
                .name("edgerent_rentals")
                .help("Rentals per state.")
                .labelNames("state")
                .callback(cb -> {
                    Map<String, Long> states = new TreeMap<>();
                    RENTAL_STATES.forEach(state -> states.put(state, 0L));
                    states.putAll(reading.rentals());
                    states.forEach((state, n) -> cb.call(n, state));
                })
                .register(registry);
        GaugeWithCallback.builder()
                .name("edgerent_linked_hubs")
                .help("Hubs linked with this one, answering or not heard from lately (stale).")
                .labelNames("state")
                .callback(cb -> {
                    cb.call(reading.federation().answering(), "answering");
                    cb.call(reading.federation().stale(), "stale");
                })
                .register(registry);
        gauge(
                "edgerent_linked_listings",
                "Linked hubs' devices on this hub's market.",
                r -> r.federation().listings());
        gauge(
                "edgerent_passed_rentals_unsettled",
                "Rentals passed on to linked hubs and not settled yet.",
                r -> r.federation().unsettled());
        counter(
                "edgerent_database_retries_total",
                "Transactions run again after losing a race with another hub's.",
                r -> r.databaseRetries());
        counter(
                "edgerent_database_commits_total",
                "Group commits: transactions carrying devices' and renters' requests.",
                r -> r.commits());
        counter(
                "edgerent_database_commit_pieces_total",
                "Requests those group commits carried.",
                r -> r.commitPieces());
        counter(
                "edgerent_rentals_settled_total",
                "Rental payment channels settled (on this hub's database).",
                r -> r.settled().channels());
        CounterWithCallback.builder()
                .name("edgerent_settled_amount_total")
                .help("Money settled rental channels moved, in the smallest currency unit: owners' shares, the hub's"
                        + " fees, and refunds to renters (on this hub's database).")
                .labelNames("part")
                .callback(cb -> {
                    cb.call(reading.settled().ownerShare(), "owner_share");
                    cb.call(reading.settled().hubFee(), "hub_fee");
                    cb.call(reading.settled().refund(), "refund");
                })
                .register(registry);
    }

    private interface Field {
        long of(Reading r);
    }

    private void gauge(String name, String help, Field field) {
        GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .callback(cb -> cb.call(field.of(reading)))
                .register(registry);
    }

    private void counter(String name, String help, Field field) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .callback(cb -> cb.call(field.of(reading)))
                .register(registry);
    }

    /** A voucher was stored, or refused. */
    public void voucher(boolean accepted) {
        vouchers.labelValues(accepted ? "accepted" : "refused").inc();
    }

    /** A device's usage report was refused as impossible, for {@code reason}. */
    public void usageRefused(String reason) {
        usageRefused.labelValues(reason).inc();
    }

    /** The HTTP router passed {@code bytes} from a rental's web server to a visitor. */
    public void routerSent(long bytes) {
        routerSent.inc(bytes);
    }

    /** The head of a rental's answer reached the visitor {@code nanos} after the request's head arrived. */
    public void routerFirstByte(long nanos) {
        routerFirstByte.observe(Unit.nanosToSeconds(nanos));
    }

    /** The database committed a transaction in {@code nanos}. */
    public void committed(long nanos) {
        commitSeconds.observe(Unit.nanosToSeconds(nanos));
    }

    /**
     * A CoAP request is being answered: the time since it arrived counts under its resource, with a
     * device's ID in {@code devices/ID/...} replaced by {@code {id}} so that the label stays one per resource.
     */
    public void coapAnswered(Exchange exchange) {
        Request request = exchange.getRequest();
        coapSeconds
                .labelValues(resource(request.getOptions().getUriPath()))
                .observe(Unit.nanosToSeconds(ClockUtil.nanoRealtime() - request.getNanoTimestamp()));
    }

    static String resource(List<String> path) {
        if (path.size() == 3 && path.get(0).equals(Paths.DEVICES)) {
            return path.get(0) + "/{id}/" + path.get(2);
        }
        return path.isEmpty() ? "/" : String.join("/", path);
    }

    /** The exposition text, with the database's side read by {@code read} now. */
    public String prometheus(Supplier<Reading> read) {
        reading = read.get();
        dtlsSessions.set(dtls.sessions());
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Counts requests and error answers of one CoAP endpoint. */
    public final class Coap extends MessageInterceptorAdapter {
        private final String transport;

        Coap(String transport) {
            this.transport = transport;
            coapRequests.initLabelValues(transport);
            coapErrors.initLabelValues(transport, "4");
            coapErrors.initLabelValues(transport, "5");
        }

        /** The request of {@code exchange} is being answered: counts its latency ({@link #coapAnswered}). */
        public void answered(Exchange exchange) {
            coapAnswered(exchange);
        }

        @Override
        public void receiveRequest(Request request) {
            coapRequests.labelValues(transport).inc();
        }

        @Override
        public void sendResponse(Response response) {
            int codeClass = response.getCode().codeClass;
            if (codeClass == 4 || codeClass == 5) {
                coapErrors.labelValues(transport, String.valueOf(codeClass)).inc();
            }
        }
    }

    /** What Scandium reports about the DTLS endpoint. */
    public final class Dtls implements DtlsHealth, DtlsHealthExtended {
        private volatile int sessions;

        /** DTLS sessions held when Scandium last said (CoapApi#updateDtlsHealth asks it to). */
        public int sessions() {
            return sessions;
        }

        @Override
        public void dump(String tag, int maxConnections, int remainingCapacity, int pendingWithoutVerify) {
            // Scraped instead.
        }

        @Override
        public boolean isEnabled() {
            return true;
        }

        @Override
        public void startHandshake() {
            handshakesStarted.inc();
        }

        @Override
        public void endHandshake(boolean success) {
            handshakes.labelValues(success ? "succeeded" : "failed").inc();
        }

        @Override
        public void receivingRecord(boolean drop) {
            records.labelValues("received", drop ? "dropped" : "processed").inc();
        }

        @Override
        public void sendingRecord(boolean drop) {
            records.labelValues("sent", drop ? "dropped" : "processed").inc();
        }

        @Override
        public void setConnections(int count) {
            sessions = count;
        }
    }
}
