package io.edgerent.systemtests.router;

import static io.edgerent.systemtests.support.Curl.curl;
import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub's HTTP router with real clients: curl (HTTP, HTTPS, a large download) and the JDK's
 * WebSocket client, through the device's reverse forward to a web server in the rental's container.
 */
class HttpRouterTest {
    @TempDir
    Path dir;

    @Test
    void rental_web_server_is_reached_by_subdomain_over_http_https_and_websocket_streamed_and_metered()
            throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            World.Result rented = renter.rent(device).assertOk();
            String rental = Renter.rentalName(rented);
            String local = "http://" + rental + ".localhost:" + world.httpPort;
            assertTrue(
                    rented.out().contains("web: http://" + rental + "." + World.DOMAIN + ":" + world.httpPort + "/"),
                    rented.out());

            World.Result nothingYet = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", local + "/");
            assertEquals("502", nothingYet.out(), "nothing listens on port 80 yet: a clear 502");

            renter.startWebServer(rental);
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the rental's web server to answer through the router",
                    () -> curl("-s", local + "/").out().equals("hello from " + rental + "\n"));
            // An event stream quieter than the router's idle and stall deadlines (60 s) stays open while the rest of
            // this test runs: 4 events, 25 s apart.
            CompletableFuture<World.Result> events = CompletableFuture.supplyAsync(() -> World.run(
                    Duration.ofSeconds(150), "curl", "-sN", "-w", "%{http_code}", local + "/events?n=4&every=25"));

            // The same through the configured domain, and over HTTPS with the hub's self-signed certificate.
            String named = rental + "." + World.DOMAIN;
            assertEquals(
                    "hello from " + rental + "\n",
                    curl(
                                    "-s",
                                    "--resolve",
                                    named + ":" + world.httpPort + ":127.0.0.1",
                                    "http://" + named + ":" + world.httpPort + "/")
                            .out());
            World.Result verified = curl(
                    "-s",
                    "--cacert",
                    dir.resolve("hub/tls-self-signed.crt").toString(),
                    "--resolve",
                    named + ":" + world.httpsPort + ":127.0.0.1",
                    "https://" + named + ":" + world.httpsPort + "/");
            assertEquals("hello from " + rental + "\n", verified.out(), verified.err());
            assertEquals(
                    "hello from " + rental + "\n",
                    curl("-sk", "https://" + rental + ".localhost:" + world.httpsPort + "/")
                            .out());

            World.Result headers =
                    curl("-s", "-H", "Forwarded: for=6.6.6.6", "-H", "X-Forwarded-Proto: https", local + "/headers");
            assertTrue(headers.out().contains("x-forwarded-for: 127.0.0.1"), headers.out());
            assertTrue(
                    headers.out().contains("x-forwarded-proto: http\n"),
                    "the router's, not the client's: " + headers.out());
            assertTrue(
                    headers.out()
                            .contains("forwarded: for=6.6.6.6, for=127.0.0.1;proto=http;host=\"" + rental
                                    + ".localhost:" + world.httpPort + "\""),
                    "the client's claim first, the router's hop last: " + headers.out());
            World.Result posted = curl("-s", "--data-binary", "posted body", local + "/echo");
            assertEquals("posted body", posted.out());

            // Smuggling through Connection: naming Content-Length would have the router drop it and pass the body on
            // as a second request it never saw. Refused; the rental's server never sees the hidden request.
            String hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n";
            String smuggled = raw(
                    world,
                    "POST /echo HTTP/1.1\r\nHost: " + rental + ".localhost\r\nConnection: Content-Length\r\n"
                            + "Content-Length: " + hidden.length() + "\r\n\r\n" + hidden);
            assertTrue(smuggled.startsWith("HTTP/1.1 400 "), smuggled);

            // Every framing trick of RFC 9112 that could make the rental's server see a request boundary the router
            // did not: refused (the status says which way), and the hidden request never reaches the server.
            Map<String, String> tricks = FramingTricks.hiding(hidden, rental + ".localhost");
            for (Map.Entry<String, String> trick : tricks.entrySet()) {
                String answer = raw(world, trick.getValue());
                assertTrue(
                        answer.startsWith("HTTP/1.1 400 ") || answer.startsWith("HTTP/1.1 501 "),
                        trick.getKey() + " is refused: " + answer);
                assertTrue(answer.contains("connection: close"), trick.getKey() + " closes: " + answer);
            }
            // Chunk extensions are allowed, and the body passes with one framing: the server gets exactly the data.
            String extended = raw(
                    world,
                    "POST /echo HTTP/1.1\r\nHost: " + rental + ".localhost\r\n"
                            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;name=\"value\"\r\nhello\r\n0\r\n\r\n");
            assertTrue(extended.startsWith("HTTP/1.1 200 ") && extended.endsWith("\r\n\r\nhello"), extended);
            // An HTTP/1.0 client knows no chunks: a chunked answer reaches it unchunked, ended by the connection's end.
            String old = raw(world, "GET /chunks?n=3 HTTP/1.0\r\nHost: " + rental + ".localhost\r\n\r\n");
            assertTrue(
                    old.startsWith("HTTP/1.1 200 ")
                            && old.endsWith("\r\n\r\nabcd\nabcd\nabcd\n")
                            && !old.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding"),
                    old);
            // A response framed two ways is the rental's server trying the same on the router's clients: 502.
            assertEquals(
                    "502",
                    curl("-s", "-o", "/dev/null", "-w", "%{http_code}", local + "/bad-response")
                            .out());
            String seen = curl("-s", local + "/seen").out();
            assertTrue(seen.contains("GET /headers HTTP/1.1") && !seen.contains("/smuggled"), seen);

            // A long stream of small chunks passes whole: 10,000 chunks of 5 bytes.
            World.Result chunks = World.run(
                    Duration.ofSeconds(60),
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{size_download}",
                    local + "/chunks?n=10000");
            assertEquals("200 50000", chunks.out(), chunks.err());

            // A large download streams through and arrives whole.
            long big = 256L << 20;
            World.Result download = World.run(
                    Duration.ofSeconds(120),
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{size_download}",
                    local + "/big?n=" + big);
            assertEquals("200 " + big, download.out());

            // The router passes each chunk on as it comes: "last" is only written after the test has read "first".
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<InputStream> stream = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + world.httpPort + "/stream"))
                            .header("Host", rental + ".localhost")
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            assertEquals("first", lines.readLine());
            renter.ssh(rental, "touch /tmp/go").assertOk();
            assertEquals("last", lines.readLine());

            // WebSocket through the router, with the JDK's own client.
            Echo echo = new Echo();
            WebSocket ws = http.newWebSocketBuilder()
                    .header("Host", rental + ".localhost")
                    .buildAsync(URI.create("ws://127.0.0.1:" + world.httpPort + "/ws"), echo)
                    .get(20, TimeUnit.SECONDS);
            CompletableFuture<String> reply = echo.next();
            ws.sendText("hello through the tunnel", true).get(10, TimeUnit.SECONDS);
            assertEquals("hello through the tunnel", reply.get(20, TimeUnit.SECONDS));

            // Bytes out are counted per rental and reach the renter's listing.
            awaitTrue(
                    Duration.ofSeconds(20),
                    "the router's byte count to reach the rental",
                    () -> httpBytesOut(world, renter, rental) >= big);

            World.Result streamed = events.get(150, TimeUnit.SECONDS);
            assertEquals("data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n200", streamed.out(), streamed.err());

            // Ending the rental closes its open WebSocket at once, and its name answers 410 after.
            renter.end(rental).assertOk();
            echo.closed.get(20, TimeUnit.SECONDS);
            assertEquals(
                    "410",
                    curl("-s", "-o", "/dev/null", "-w", "%{http_code}", local + "/")
                            .out());
        }
    }

    @Test
    void hostile_or_misaddressed_requests_get_clear_errors() throws Exception {
        try (World world = new World(dir)) {
            World.Result unknown =
                    curl("-s", "-w", "\n%{http_code}", "http://r-0123456789ab.localhost:" + world.httpPort + "/");
            assertTrue(
                    unknown.out().endsWith("404") && unknown.out().contains("There is no rental r-0123456789ab"),
                    unknown.out());
            World.Result notRental = curl("-s", "-w", "\n%{http_code}", "http://www.localhost:" + world.httpPort + "/");
            assertTrue(
                    notRental.out().endsWith("404")
                            && notRental.out().contains("Rentals answer at http://RENTAL." + World.DOMAIN),
                    notRental.out());
            World.Result bare = curl("-s", "-w", "\n%{http_code}", "http://localhost:" + world.httpPort + "/");
            assertTrue(
                    bare.out().endsWith("200") && bare.out().contains("Devices for rent"),
                    "the hub's own name: its pages");
            // Over HTTPS the pages' cookies take the __Host- prefix: a rental's page under the hub's domain cannot set
            // or overwrite them (cookie tossing a known form token for a sign-in CSRF).
            String headsUp = curl(
                            "-sk", "-D", "-", "-o", "/dev/null", "https://localhost:" + world.httpsPort + "/signin")
                    .out();
            assertTrue(
                    headsUp.toLowerCase(java.util.Locale.ROOT).contains("set-cookie: __host-edgerent_form=")
                            && headsUp.contains("Secure"),
                    headsUp);

            assertTrue(
                    raw(
                                    world,
                                    "GET / HTTP/1.1\r\nHost: r-0123456789ab.localhost\r\nContent-Length: 5\r\n"
                                            + "Transfer-Encoding: chunked\r\n\r\n")
                            .startsWith("HTTP/1.1 400 "),
                    "smuggling shape refused");
            assertTrue(raw(world, "GET / HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 400 "), "no Host header");
            // A client that waits for 100 Continue before its form (curl does past 1 KiB) is not kept waiting.
            String expecting = raw(
                    world,
                    "POST /signin HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nConnection: close\r\n"
                            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n\r\nname=x");
            assertTrue(
                    expecting.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 "),
                    "100 first, then the page's answer (no form token: 403): " + expecting);
            assertTrue(
                    raw(world, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").startsWith("HTTP/1.1 400 "),
                    "two Host headers");
            assertTrue(
                    raw(world, "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("HTTP/1.1 400 "),
                    "NUL in the request line");
            assertTrue(raw(world, "GARBAGE\r\n\r\n").startsWith("HTTP/1.1 400 "), "not HTTP");
            assertTrue(
                    raw(world, "GET / HTTP/1.1\r\nHost: x\r\n folded: yes\r\n\r\n")
                            .startsWith("HTTP/1.1 400 "),
                    "obs-fold");
            assertTrue(
                    raw(world, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n")
                            .startsWith("HTTP/1.1 431 "),
                    "oversized head");
            assertTrue(
                    raw(world, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
                            .startsWith("HTTP/1.1 501 "),
                    "unknown transfer coding");
            assertEquals(
                    "200",
                    curl("-s", "-o", "/dev/null", "-w", "%{http_code}", "http://localhost:" + world.httpPort + "/")
                            .out(),
                    "the router still serves after all that");

            // A slowloris from one address: 600 connections from 127.0.0.2, each with half a request line. Beyond
            // its share that address is told 503 at once; a client from 127.0.0.1 is still served.
            List<Socket> slow = new ArrayList<>();
            try {
                int refused = 0;
                for (int i = 0; i < 600; i++) {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress("127.0.0.2", 0));
                    s.connect(new InetSocketAddress("127.0.0.1", world.httpPort), 5_000);
                    s.getOutputStream().write("GET / HT".getBytes(StandardCharsets.ISO_8859_1));
                    slow.add(s);
                }
                for (Socket s : slow) {
                    s.setSoTimeout(200);
                    try {
                        byte[] head = s.getInputStream().readNBytes(12);
                        if (new String(head, StandardCharsets.ISO_8859_1).equals("HTTP/1.1 503")) {
                            refused++;
                        }
                    } catch (java.net.SocketTimeoutException waiting) {
                        // held: within the address's share, waiting for the rest of its head
                    }
                }
                assertEquals(600 - 64, refused, "all but the address's 64 connections refused at once");
                World.Result served = curl(
                        "-s",
                        "-o",
                        "/dev/null",
                        "-w",
                        "%{http_code} %{time_total}",
                        "http://localhost:" + world.httpPort + "/");
                assertTrue(served.out().startsWith("200 "), "another address is served: " + served.out());
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    /** Sends bytes as they are and returns what the router answered. */
    private static String raw(World world, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", world.httpPort)) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static long httpBytesOut(World world, Renter renter, String rental) {
        return world.cli(renter.home, "rentals")
                .out()
                .lines()
                .filter(l -> l.startsWith(rental))
                .findFirst()
                .map(l -> Long.parseLong(l.trim().split("\\s+")[7]))
                .orElse(0L); // RENTAL DEVICE STATE TEMPLATE yyyy-mm-dd hh:mm UTC HTTP-OUT
    }

    /** A WebSocket listener that hands each text message to whoever waits for the next one. */
    private static final class Echo implements WebSocket.Listener {
        private CompletableFuture<String> next = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        final CompletableFuture<Void> closed = new CompletableFuture<>();

        synchronized CompletableFuture<String> next() {
            return next;
        }

        @Override
        public synchronized CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                next.complete(partial.toString());
                partial.setLength(0);
                next = new CompletableFuture<>();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(null);
        }
    }
}
