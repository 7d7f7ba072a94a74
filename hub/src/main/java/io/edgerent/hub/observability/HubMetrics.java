package io.edgerent.hub.observability;

import io.edgerent.hub.federation.Federation;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.interceptors.MessageInterceptorAdapter;
import org.eclipse.californium.scandium.DtlsHealth;
import org.eclipse.californium.scandium.DtlsHealthExtended;

/**
 * The hub's counters, written as Prometheus text by {@link #prometheus}: CoAP requests and error
 * answers per transport, DTLS handshakes, records and sessions, vouchers accepted, bytes relayed
 * by the HTTP router; devices online and rentals per state are read from the database when scraped.
 */
public final class HubMetrics {
    public final Coap plainCoap = new Coap();
    public final Coap secureCoap = new Coap();
    public final Dtls dtls = new Dtls();
    public final LongAdder vouchersAccepted = new LongAdder();
    public final LongAdder vouchersRefused = new LongAdder();
    /** Devices' usage reports refused as impossible, by reason (Channels.ImpossibleUsage). */
    public final Map<String, LongAdder> usageRefused = new ConcurrentSkipListMap<>();

    /** Counts requests and error answers of one CoAP endpoint. */
    static final class Coap extends MessageInterceptorAdapter {
        final LongAdder requests = new LongAdder();
        final LongAdder clientErrors = new LongAdder();
        final LongAdder serverErrors = new LongAdder();

        @Override
        public void receiveRequest(Request request) {
            requests.increment();
        }

        @Override
        public void sendResponse(Response response) {
            int codeClass = response.getCode().codeClass;
            if (codeClass == 4) {
                clientErrors.increment();
            } else if (codeClass == 5) {
                serverErrors.increment();
            }
        }
    }

    /** What Scandium reports about the DTLS endpoint. */
    public static final class Dtls implements DtlsHealth, DtlsHealthExtended {
        final LongAdder handshakesStarted = new LongAdder();
        final LongAdder handshakesSucceeded = new LongAdder();
        final LongAdder handshakesFailed = new LongAdder();
        final LongAdder recordsReceived = new LongAdder();
        final LongAdder recordsDropped = new LongAdder();
        final LongAdder recordsSent = new LongAdder();
        public final AtomicInteger sessions = new AtomicInteger();

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
            handshakesStarted.increment();
        }

        @Override
        public void endHandshake(boolean success) {
            (success ? handshakesSucceeded : handshakesFailed).increment();
        }

        @Override
        public void receivingRecord(boolean drop) {
            (drop ? recordsDropped : recordsReceived).increment();
        }

        @Override
        public void sendingRecord(boolean drop) {
            if (!drop) {
                recordsSent.increment();
            }
        }

        @Override
        public void setConnections(int count) {
            sessions.set(count);
        }
    }

    /** The exposition text; {@code devicesOnline} and {@code rentals} (per state) are read at scrape time. */
    public String prometheus(
            long devicesOnline,
            long devicesRegistered,
            long devicesFlagged,
            Map<String, Long> rentals,
            long httpBytesOut,
            long databaseRetries,
            long commits,
            long commitPieces,
            Federation.Counts federation) {
        StringBuilder out = new StringBuilder();
        gauge(out, "edgerent_devices_online", "Devices heard from within the offline limit.", devicesOnline);
        gauge(out, "edgerent_devices_registered", "Devices registered with this hub.", devicesRegistered);
        gauge(
                out,
                "edgerent_devices_flagged",
                "Devices marked for an impossible usage report (shown on the market).",
                devicesFlagged);
        out.append("# HELP edgerent_usage_reports_refused_total Devices' usage reports refused as impossible.\n"
                + "# TYPE edgerent_usage_reports_refused_total counter\n");
        usageRefused.forEach((reason, n) -> out.append("edgerent_usage_reports_refused_total{reason=\"")
                .append(reason)
                .append("\"} ")
                .append(n.sum())
                .append('\n'));
        out.append("# HELP edgerent_rentals Rentals per state.\n# TYPE edgerent_rentals gauge\n");
        rentals.forEach((state, n) -> out.append("edgerent_rentals{state=\"")
                .append(state)
                .append("\"} ")
                .append(n)
                .append('\n'));
        out.append(
                "# HELP edgerent_coap_requests_total CoAP requests received.\n# TYPE edgerent_coap_requests_total counter\n");
        coapLine(out, "edgerent_coap_requests_total", "", secureCoap.requests, plainCoap.requests);
        out.append(
                "# HELP edgerent_coap_errors_total CoAP error answers sent.\n# TYPE edgerent_coap_errors_total counter\n");
        coapLine(out, "edgerent_coap_errors_total", ",class=\"4\"", secureCoap.clientErrors, plainCoap.clientErrors);
        coapLine(out, "edgerent_coap_errors_total", ",class=\"5\"", secureCoap.serverErrors, plainCoap.serverErrors);
        counter(
                out,
                "edgerent_dtls_handshakes_started_total",
                "Full DTLS handshakes started.",
                dtls.handshakesStarted.sum());
        counter(
                out,
                "edgerent_dtls_handshakes_succeeded_total",
                "DTLS handshakes completed.",
                dtls.handshakesSucceeded.sum());
        counter(
                out,
                "edgerent_dtls_handshakes_failed_total",
                "DTLS handshakes that failed.",
                dtls.handshakesFailed.sum());
        counter(out, "edgerent_dtls_records_received_total", "DTLS datagrams received.", dtls.recordsReceived.sum());
        counter(
                out,
                "edgerent_dtls_records_dropped_total",
                "DTLS records dropped: replayed, forged, or of no session.",
                dtls.recordsDropped.sum());
        counter(out, "edgerent_dtls_records_sent_total", "DTLS records sent.", dtls.recordsSent.sum());
        gauge(out, "edgerent_dtls_sessions", "DTLS sessions held.", dtls.sessions.get());
        counter(out, "edgerent_vouchers_accepted_total", "Payment vouchers accepted.", vouchersAccepted.sum());
        counter(out, "edgerent_vouchers_refused_total", "Payment vouchers refused.", vouchersRefused.sum());
        counter(
                out,
                "edgerent_http_router_bytes_out_total",
                "Bytes the HTTP router sent from rentals' web servers.",
                httpBytesOut);
        counter(
                out,
                "edgerent_database_retries_total",
                "Transactions run again after losing a race with another hub's.",
                databaseRetries);
        counter(
                out,
                "edgerent_database_commits_total",
                "Group commits: transactions carrying devices' and renters' requests.",
                commits);
        counter(out, "edgerent_database_commit_pieces_total", "Requests those group commits carried.", commitPieces);
        out.append(
                "# HELP edgerent_linked_hubs Hubs linked with this one, answering or not heard from lately (stale).\n"
                        + "# TYPE edgerent_linked_hubs gauge\n");
        out.append("edgerent_linked_hubs{state=\"answering\"} ")
                .append(federation.answering())
                .append('\n');
        out.append("edgerent_linked_hubs{state=\"stale\"} ")
                .append(federation.stale())
                .append('\n');
        gauge(out, "edgerent_linked_listings", "Linked hubs' devices on this hub's market.", federation.listings());
        gauge(
                out,
                "edgerent_passed_rentals_unsettled",
                "Rentals passed on to linked hubs and not settled yet.",
                federation.unsettled());
        return out.toString();
    }

    private static void coapLine(StringBuilder out, String name, String label, LongAdder secure, LongAdder plain) {
        out.append(name)
                .append("{transport=\"dtls\"")
                .append(label)
                .append("} ")
                .append(secure.sum())
                .append('\n');
        out.append(name)
                .append("{transport=\"udp\"")
                .append(label)
                .append("} ")
                .append(plain.sum())
                .append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help)
                .append("\n# TYPE ")
                .append(name)
                .append(" counter\n")
                .append(name)
                .append(' ')
                .append(value)
                .append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help)
                .append("\n# TYPE ")
                .append(name)
                .append(" gauge\n")
                .append(name)
                .append(' ')
                .append(value)
                .append('\n');
    }
}
