package io.edgerent.hub.router.http;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Access;
import io.edgerent.hub.rental.Services;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.RentalView;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's HTTP router: {@code http://RENTAL.DOMAIN/} (and {@code RENTAL.localhost}) reaches port 80
 * of that rental's container through its device's second reverse forward. Bodies stream through
 * without being held, WebSocket and other upgrades become a plain byte pipe, and what goes out to
 * clients is counted per rental. One thread per connection, bounded.
 */
public final class HttpRouter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpRouter.class);
    static final int MAX_CONNECTIONS = 512;
    /**
     * Connections one client address may hold at once: a flood from one address (slow heads, idle keep-alives) costs
     * that address, not its neighbours, who keep the other {@link #MAX_CONNECTIONS} - this.
     */
    static final int MAX_PER_ADDRESS = 64;

    private static final int HEAD_TIMEOUT_MILLIS = 10_000;
    private static final int IDLE_TIMEOUT_MILLIS = 60_000;
    private static final int UPSTREAM_TIMEOUT_MILLIS = 120_000;

    private final HubConfig config;
    private final Services services;
    private final SSLContext tls;
    private final Tunnels tunnels;
    /** The loopback port of the hub's own pages ({@link WebUi}; 0 until they listen): every host not a rental's goes there. */
    private final IntSupplier webPort;

    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService meterFlush;
    private final Map<String, LongAdder> bytesOut = new ConcurrentHashMap<>();
    /** Every byte relayed from rentals' web servers since start, for the metrics. */
    private final LongAdder bytesOutTotal = new LongAdder();
    /** Open client connections per rental, closed at once when the rental is paused or ends. */
    private final Map<String, Set<Socket>> openByRental = new ConcurrentHashMap<>();
    /** Open client connections per client address. */
    private final Map<InetAddress, Integer> openByAddress = new ConcurrentHashMap<>();

    private ServerSocket plain;
    private ServerSocket secure;
    private volatile boolean closed;

    /** Where a device's tunnel port is reached from this hub: {@link SshGateway#tunnelTarget}. */
    public interface Tunnels {
        int target(String tunnelAt, int tunnelPort) throws IOException;
    }

    public HttpRouter(HubConfig config, Services services, SSLContext tls, Tunnels tunnels, IntSupplier webPort) {
        this.tunnels = tunnels;
        this.webPort = webPort;
        this.config = config;
        this.services = services;
        this.tls = tls;
        AtomicInteger n = new AtomicInteger();
        workers = new ThreadPoolExecutor(0, MAX_CONNECTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        meterFlush = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "http-meter"));
        meterFlush.scheduleWithFixedDelay(this::flushMeter, 2, 2, TimeUnit.SECONDS);
        services.events().onRentalClosed(this::closeConnections);
    }

    public void start() {
        try {
            InetAddress bind = InetAddress.getByName(config.bindAddress());
            plain = new ServerSocket(config.httpPort(), 512, bind);
            SSLServerSocket s =
                    (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(config.httpsPort(), 512, bind);
            s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            secure = s;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(
                    "cannot start the HTTP router on ports " + config.httpPort() + "/" + config.httpsPort() + ": "
                            + e.getMessage(),
                    e);
        }
        accept(plain, false);
        accept(secure, true);
    }

    public int httpPort() {
        return plain.getLocalPort();
    }

    public int httpsPort() {
        return secure.getLocalPort();
    }

    @Override
    public void close() {
        closed = true;
        for (ServerSocket s : new ServerSocket[] {plain, secure}) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    LOG.debug("closing the router's socket: {}", e.getMessage());
                }
            }
        }
        openByRental.keySet().forEach(this::closeConnections);
        workers.shutdownNow();
        meterFlush.shutdownNow();
        flushMeter();
    }

    private void accept(ServerSocket server, boolean https) {
        Thread acceptor = new Thread(
                () -> {
                    while (!closed) {
                        Socket client;
                        try {
                            client = server.accept();
                        } catch (IOException e) {
                            if (!closed) {
                                LOG.warn("the HTTP router stopped accepting: {}", e.getMessage());
                            }
                            return;
                        }
                        InetAddress from = client.getInetAddress();
                        if (openByAddress.merge(from, 1, Integer::sum) > MAX_PER_ADDRESS) {
                            let(from);
                            refuseBusy(client, https);
                            continue;
                        }
                        try {
                            workers.execute(() -> {
                                try {
                                    new Exchange(client, https).serve();
                                } finally {
                                    let(from);
                                }
                            });
                        } catch (RejectedExecutionException e) {
                            let(from);
                            refuseBusy(client, https);
                        }
                    }
                },
                https ? "https-accept" : "http-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** One connection from {@code address} ended (or was refused). */
    private void let(InetAddress address) {
        openByAddress.computeIfPresent(address, (a, open) -> open <= 1 ? null : open - 1);
    }

    /** Beyond the connection limit a plain client hears why; a TLS client is closed before its handshake. */
    private void refuseBusy(Socket client, boolean https) {
        try (client) {
            if (!https) {
                client.setSoTimeout(1000);
                client.getOutputStream()
                        .write(Page.of(
                                        503,
                                        "Too busy",
                                        "The hub serves as many connections as it can; try again shortly.")
                                .bytes("Retry-After: 5\r\n"));
            }
        } catch (IOException e) {
            LOG.debug("refusing a connection: {}", e.getMessage());
        }
    }

    public long bytesOutTotal() {
        return bytesOutTotal.sum();
    }

    private void flushMeter() {
        Map<String, Long> batch = new HashMap<>();
        bytesOut.forEach((rental, adder) -> {
            long n = adder.sumThenReset();
            if (n > 0) {
                batch.put(rental, n);
            }
        });
        if (!batch.isEmpty()) {
            try {
                services.access().addHttpBytesOut(batch);
            } catch (RuntimeException e) {
                // Put them back: they are counted at the next flush.
                batch.forEach((rental, n) ->
                        bytesOut.computeIfAbsent(rental, r -> new LongAdder()).add(n));
                LOG.warn("recording HTTP bytes out failed: {}", e.getMessage());
            }
        }
    }

    private void closeConnections(String rental) {
        Set<Socket> open = openByRental.remove(rental);
        if (open != null) {
            LOG.info("closing {} HTTP connection(s) of {}: it no longer serves", open.size(), rental);
            open.forEach(HttpRouter::closeQuietly);
        }
    }

    /** The rental a Host header names, if it names one under this hub's domain or under localhost. */
    Optional<String> rentalOf(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String name = hostName(host);
        for (String domain : new String[] {config.domain(), "localhost"}) {
            if (name.endsWith("." + domain)) {
                String label = name.substring(0, name.length() - domain.length() - 1);
                return Names.isRentalName(label) ? Optional.of(label) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Whether a Host header names something under the rentals' domain (or localhost's) that is not the domain itself. */
    private boolean isUnderRentalDomain(String host) {
        if (host == null) {
            return false;
        }
        String name = hostName(host);
        return name.endsWith("." + config.domain()) || name.endsWith(".localhost");
    }

    /** A Host header's name: lower case, without its port and final dot. */
    private static String hostName(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        int colon = name.lastIndexOf(':');
        if (colon >= 0 && name.indexOf(']') < colon) {
            name = name.substring(0, colon);
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }

    /** One client connection: requests in order, each passed to its rental's web server, until either side closes. */
    private final class Exchange {
        private final Socket client;
        private final boolean https;
        private final String clientAddress;
        private String rental;
        private int port;
        private Socket upstream;
        private InputStream upstreamIn;
        private OutputStream upstreamOut;

        Exchange(Socket client, boolean https) {
            this.client = client;
            this.https = https;
            this.clientAddress = client.getInetAddress().getHostAddress();
        }

        void serve() {
            try {
                client.setTcpNoDelay(true);
                InputStream in = new BufferedInputStream(client.getInputStream(), 16 * 1024);
                OutputStream out = new BufferedOutputStream(client.getOutputStream(), 16 * 1024);
                while (!closed && serveOne(in, out)) {
                    // next request on the same connection
                }
            } catch (SocketTimeoutException e) {
                LOG.debug("HTTP client {} idle too long", clientAddress);
            } catch (IOException e) {
                LOG.debug("HTTP connection from {} ended: {}", clientAddress, e.getMessage());
            } finally {
                forget();
                closeQuietly(upstream);
                closeQuietly(client);
            }
        }

        /** Serves one request; false when the connection must close after it. */
        private boolean serveOne(InputStream in, OutputStream out) throws IOException {
            // A kept-alive connection may idle between requests; a head, once begun, must arrive quickly.
            client.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            in.mark(1);
            if (in.read() < 0) {
                return false;
            }
            in.reset();
            HttpMessage request;
            try {
                client.setSoTimeout(HEAD_TIMEOUT_MILLIS);
                request = HttpMessage.readRequest(in, System.nanoTime() + HEAD_TIMEOUT_MILLIS * 1_000_000L);
                if (request == null) {
                    return false;
                }
            } catch (HttpMessage.BadMessageException e) {
                send(out, Page.of(e.status, reason(e.status), e.getMessage()), false, "");
                return false;
            } catch (SocketTimeoutException e) {
                send(out, Page.of(408, "Request timeout", "The request head took too long to arrive."), false, "");
                return false;
            }
            boolean toHead = request.method().equals("HEAD");
            boolean keepAlive = request.version().equals("HTTP/1.1") && !request.hasToken("connection", "close");
            long requestBody;
            try {
                requestBody = request.bodyLength(false, false);
                if (request.version().equals("HTTP/1.1")
                        && (request.header("host") == null
                                || request.header("host").contains(","))) {
                    throw new HttpMessage.BadMessageException(400, "an HTTP/1.1 request needs exactly one Host header");
                }
            } catch (HttpMessage.BadMessageException e) {
                send(out, Page.of(e.status, reason(e.status), e.getMessage()), toHead, "");
                return false;
            }
            String host = request.header("host");
            Optional<String> named = rentalOf(host);
            if (named.isEmpty()) {
                if (isUnderRentalDomain(host)) {
                    send(
                            out,
                            Page.of(
                                    404,
                                    "No rental here",
                                    "Rentals answer at http://RENTAL." + config.domain()
                                            + "/, for example http://r-0123456789ab." + config.domain() + "/."),
                            toHead,
                            "");
                    return false;
                }
                if (rental != null || port != webPort.getAsInt()) {
                    // The hub's own name: its pages, after a rental's on the same connection, if any.
                    forget();
                    closeQuietly(upstream);
                    upstream = null;
                    port = webPort.getAsInt();
                }
            } else if (!named.get().equals(rental)) {
                // A new rental on this connection: ask the database once, then follow closing events.
                forget();
                closeQuietly(upstream);
                upstream = null;
                Page refusal = refusalFor(named.get());
                if (refusal != null) {
                    send(out, refusal, toHead, refusal.status == 503 ? "Retry-After: 5\r\n" : "");
                    return false;
                }
            }
            if (upstream == null) {
                Page failure = connectUpstream();
                if (failure != null) {
                    send(out, failure, toHead, "");
                    return false;
                }
            }
            return forward(request, requestBody, toHead, keepAlive, in, out);
        }

        /** Null when the rental may be served now; otherwise the page that says why not. */
        private Page refusalFor(String name) {
            Optional<Access.HttpRoute> route = services.access().httpRoute(name);
            if (route.isEmpty()) {
                return Page.of(404, "No such rental", "There is no rental " + name + " on this hub.");
            }
            Access.HttpRoute r = route.get();
            switch (r.state()) {
                case RentalView.PREPARING:
                    return Page.of(
                            503,
                            "Being prepared",
                            "Rental " + name + " is being prepared; try again in a few seconds.");
                case RentalView.ENDING:
                case RentalView.ENDED:
                    return Page.of(410, "Rental ended", "Rental " + name + " has ended.");
                default:
                    break;
            }
            if (r.paused()) {
                return Page.of(
                        503,
                        "Rental suspended",
                        "Rental " + name + " is suspended: its payment stopped. It serves again"
                                + " as soon as payment catches up.");
            }
            if (!r.online()) {
                return Page.of(
                        502,
                        "Device offline",
                        "The device serving " + name + " is offline; the rental's web server"
                                + " cannot be reached until it is back.");
            }
            if (r.httpTunnelPort() == 0) {
                return Page.of(
                        502,
                        "No web tunnel",
                        "The device serving " + name + " registered before this hub routed HTTP;"
                                + " it has no web tunnel.");
            }
            rental = name;
            upstream = null;
            try {
                port = tunnels.target(r.tunnelAt(), r.httpTunnelPort());
            } catch (IOException e) {
                return Page.of(
                        502,
                        "Bad gateway",
                        "The tunnel of " + name + " is at another hub, which cannot be reached: " + e.getMessage());
            }
            openByRental
                    .computeIfAbsent(name, k -> ConcurrentHashMap.newKeySet())
                    .add(client);
            return null;
        }

        private Page connectUpstream() {
            try {
                Socket s = new Socket();
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                s.setSoTimeout(UPSTREAM_TIMEOUT_MILLIS);
                upstream = s;
                upstreamIn = new BufferedInputStream(s.getInputStream(), 64 * 1024);
                upstreamOut = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
                return null;
            } catch (ConnectException e) {
                return Page.of(
                        502,
                        "Device offline",
                        "The device serving " + rental + " has no tunnel open to this hub right now;"
                                + " it reconnects within seconds of being back online.");
            } catch (IOException e) {
                return Page.of(502, "Bad gateway", "The tunnel of " + rental + " failed: " + e.getMessage());
            }
        }

        private boolean forward(
                HttpMessage request,
                long requestBody,
                boolean toHead,
                boolean keepAlive,
                InputStream in,
                OutputStream out)
                throws IOException {
            boolean upgrade = request.header("upgrade") != null && request.hasToken("connection", "upgrade");
            boolean expectsContinue = request.hasToken("expect", "100-continue");
            StringBuilder head = new StringBuilder();
            head.append(request.startLine[0])
                    .append(' ')
                    .append(request.startLine[1])
                    .append(' ')
                    .append(request.startLine[2])
                    .append("\r\n");
            String forwardedFor = request.header("x-forwarded-for");
            String forwarded = request.header("forwarded");
            for (String[] h : request.headers) {
                if (!HttpMessage.HOP_BY_HOP.contains(h[0])
                        && !request.hasToken("connection", h[0])
                        && !h[0].equals("expect")
                        && !h[0].equals("forwarded")
                        && !h[0].startsWith("x-forwarded-")) {
                    head.append(h[0]).append(": ").append(h[1]).append("\r\n");
                }
            }
            head.append("x-forwarded-for: ")
                    .append(forwardedFor == null ? "" : forwardedFor + ", ")
                    .append(clientAddress)
                    .append("\r\n");
            head.append("x-forwarded-proto: ").append(https ? "https" : "http").append("\r\n");
            head.append("x-forwarded-host: ").append(request.header("host")).append("\r\n");
            // RFC 7239: the same, in one header; what the client claimed comes first, this hop last.
            head.append("forwarded: ")
                    .append(forwarded == null ? "" : forwarded + ", ")
                    .append("for=")
                    .append(clientAddress.contains(":") ? "\"[" + clientAddress + "]\"" : clientAddress)
                    .append(";proto=")
                    .append(https ? "https" : "http")
                    .append(";host=\"")
                    .append(request.header("host").replace("\"", ""))
                    .append("\"\r\n");
            if (upgrade) {
                head.append("connection: upgrade\r\nupgrade: ")
                        .append(request.header("upgrade"))
                        .append("\r\n");
            }
            head.append("\r\n");
            boolean requestCut = false;
            try {
                upstreamOut.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (expectsContinue && requestBody != 0) {
                    // The router answers the client's Expect itself, so the body is never held up waiting for it.
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                HttpMessage.copyBody(in, upstreamOut, requestBody, false);
                upstreamOut.flush();
            } catch (HttpMessage.BadMessageException e) {
                send(out, Page.of(e.status, reason(e.status), e.getMessage()), toHead, "");
                return false;
            } catch (SocketException e) {
                if (isClosedByUs()) {
                    return false;
                }
                // The server may have answered early and closed (a 413 for a body too large, a 400): relay
                // that answer if it came; the rest of the client's body is unread, so the connection ends.
                requestCut = true;
                keepAlive = false;
            }
            HttpMessage response;
            try {
                do {
                    response = HttpMessage.readResponse(upstreamIn);
                    if (response.status() / 100 == 1 && response.status() != 101) {
                        count(writeHead(out, response, false, false));
                        out.flush();
                    }
                } while (response.status() / 100 == 1 && response.status() != 101);
            } catch (HttpMessage.BadMessageException e) {
                send(
                        out,
                        Page.of(
                                502,
                                "Bad gateway",
                                e.getMessage() + " (is a web server listening on port 80 in the rental?)"),
                        toHead,
                        "");
                return false;
            } catch (SocketTimeoutException e) {
                send(
                        out,
                        Page.of(
                                504,
                                "Gateway timeout",
                                "The rental's web server did not answer within " + UPSTREAM_TIMEOUT_MILLIS / 1000
                                        + " s."),
                        toHead,
                        "");
                return false;
            } catch (IOException e) {
                if (isClosedByUs()) {
                    return false;
                }
                send(
                        out,
                        Page.of(
                                502,
                                "Bad gateway",
                                "The tunnel of " + rental
                                        + (requestCut
                                                ? " closed while the request was sent."
                                                : " closed before the answer came.")),
                        toHead,
                        "");
                return false;
            }
            if (response.status() == 101) {
                if (!upgrade) {
                    send(
                            out,
                            Page.of(502, "Bad gateway", "The rental's web server switched protocols unasked."),
                            toHead,
                            "");
                    return false;
                }
                count(writeHead(out, response, true, false));
                out.flush();
                pipe(in, out);
                return false;
            }
            long responseBody;
            try {
                responseBody = response.bodyLength(true, toHead);
            } catch (HttpMessage.BadMessageException e) {
                send(out, Page.of(502, "Bad gateway", e.getMessage()), toHead, "");
                return false;
            }
            boolean close = !keepAlive || responseBody == -2;
            count(writeHead(out, response, false, close));
            upstream.setSoTimeout(0);
            try {
                HttpMessage.copyBody(upstreamIn, new CountingStream(out), responseBody, true);
            } catch (HttpMessage.BadMessageException e) {
                LOG.debug("{}: broken response body: {}", rental, e.getMessage());
                return false;
            }
            out.flush();
            if (response.hasToken("connection", "close") || response.version().equals("HTTP/1.0")) {
                closeQuietly(upstream);
                upstream = null;
            } else {
                upstream.setSoTimeout(UPSTREAM_TIMEOUT_MILLIS);
            }
            return !close;
        }

        /** After a 101: bytes both ways until either side closes; what goes to the client is counted. */
        private void pipe(InputStream in, OutputStream out) throws IOException {
            client.setSoTimeout(0);
            upstream.setSoTimeout(0);
            Thread toUpstream = new Thread(
                    () -> {
                        try {
                            byte[] buffer = new byte[16 * 1024];
                            for (int n; (n = in.read(buffer)) >= 0; ) {
                                upstreamOut.write(buffer, 0, n);
                                upstreamOut.flush();
                            }
                        } catch (IOException e) {
                            LOG.debug("upgraded connection of {} (to the rental) ended: {}", rental, e.getMessage());
                        } finally {
                            try {
                                upstreamOut.flush();
                                upstream.shutdownOutput();
                            } catch (IOException e) {
                                closeQuietly(upstream);
                            }
                        }
                    },
                    "http-upgrade-" + rental);
            toUpstream.setDaemon(true);
            toUpstream.start();
            try {
                byte[] buffer = new byte[16 * 1024];
                for (int n; (n = upstreamIn.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                    count(n);
                }
            } finally {
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }

        private long writeHead(OutputStream out, HttpMessage response, boolean upgraded, boolean close)
                throws IOException {
            StringBuilder head = new StringBuilder();
            head.append(response.startLine[0])
                    .append(' ')
                    .append(response.startLine[1])
                    .append(' ')
                    .append(response.startLine[2])
                    .append("\r\n");
            for (String[] h : response.headers) {
                if (!HttpMessage.HOP_BY_HOP.contains(h[0]) && !response.hasToken("connection", h[0])) {
                    head.append(h[0]).append(": ").append(h[1]).append("\r\n");
                }
            }
            if (upgraded) {
                head.append("connection: upgrade\r\nupgrade: ")
                        .append(response.header("upgrade"))
                        .append("\r\n");
            } else if (close) {
                head.append("connection: close\r\n");
            }
            head.append("\r\n");
            byte[] bytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            out.write(bytes);
            return bytes.length;
        }

        /** Answers with one of the router's own pages, then the connection closes. */
        private void send(OutputStream out, Page page, boolean toHead, String extraHeaders) throws IOException {
            out.write(toHead ? page.headBytes(extraHeaders) : page.bytes(extraHeaders));
            out.flush();
        }

        private void count(long n) {
            if (rental != null && n > 0) {
                bytesOut.computeIfAbsent(rental, r -> new LongAdder()).add(n);
                bytesOutTotal.add(n);
            }
        }

        private boolean isClosedByUs() {
            return client.isClosed() || closed;
        }

        private void forget() {
            if (rental != null) {
                Set<Socket> open = openByRental.get(rental);
                if (open != null) {
                    open.remove(client);
                }
                rental = null;
            }
        }

        /** Counts body bytes as they reach the client, so a long download is metered while it runs. */
        private final class CountingStream extends OutputStream {
            private final OutputStream out;

            CountingStream(OutputStream out) {
                this.out = out;
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                count(1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                count(len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 408 -> "Request timeout";
            case 431 -> "Request header fields too large";
            case 501 -> "Not implemented";
            case 502 -> "Bad gateway";
            default -> "Error";
        };
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing a socket: {}", e.getMessage());
            }
        }
    }

    /** A short HTML page the router answers with itself, when it cannot or may not pass a request on. */
    record Page(int status, String title, String text) {
        static Page of(int status, String title, String text) {
            return new Page(status, title, text);
        }

        /** The whole answer; the router closes the connection after its own pages. */
        byte[] bytes(String extraHeaders) {
            byte[] body = html().getBytes(StandardCharsets.UTF_8);
            byte[] head = head(body.length, extraHeaders);
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            return all;
        }

        byte[] headBytes(String extraHeaders) {
            return head(html().getBytes(StandardCharsets.UTF_8).length, extraHeaders);
        }

        private byte[] head(int length, String extraHeaders) {
            return ("HTTP/1.1 " + status + " " + title
                            + "\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: " + length
                            + "\r\ncache-control: no-store\r\nx-edgerent-router: " + status + "\r\n" + extraHeaders
                            + "connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
        }

        private String html() {
            return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\""
                    + " content=\"width=device-width\"><title>" + status + " " + escape(title)
                    + "</title></head>\n<body><h1>"
                    + escape(title) + "</h1>\n<p>" + escape(text)
                    + "</p>\n<p><small>edgerent hub</small></p></body></html>\n";
        }

        private static String escape(String s) {
            return s.replace("&", "&amp;")
                    .replace("<", "&lt;")
                    .replace(">", "&gt;")
                    .replace("\"", "&quot;");
        }
    }
}
