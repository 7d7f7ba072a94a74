package io.edgerent.hub.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpMessageTest {
    private static InputStream bytes(String s) {
        return new BufferedInputStream(new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static HttpMessage request(String s) throws IOException {
        return HttpMessage.readRequest(bytes(s), Long.MAX_VALUE);
    }

    private static int refusal(String s) {
        return assertThrows(
                        HttpMessage.BadMessageException.class, () -> request(s).bodyLength(false, false))
                .status;
    }

    @Test
    void request_head_is_read_with_lowercase_names_and_joined_values() throws IOException {
        HttpMessage m =
                request("GET /a?b=c HTTP/1.1\r\nHost: r-0123456789ab.localhost\r\nAccept: a\r\naccept: b\r\n\r\n");
        assertEquals("GET", m.method());
        assertEquals("HTTP/1.1", m.version());
        assertEquals("a, b", m.header("accept"));
        assertEquals(0, m.bodyLength(false, false));
        assertNull(request(""), "a closed connection is no request");
    }

    @Test
    void smuggling_shapes_and_malformed_heads_are_refused_with_their_status() {
        assertEquals(
                400, refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertEquals(400, refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"));
        assertEquals(400, refusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"));
        assertEquals(501, refusal("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"));
        assertEquals(400, refusal("GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n"));
        assertEquals(400, refusal("GET / HTTP/1.1\rHost: x\r\n\r\n"));
        assertEquals(400, refusal("GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertEquals(400, refusal("GET / HTTP/2.0\r\nHost: x\r\n\r\n"));
        assertEquals(431, refusal("GET / HTTP/1.1\r\n" + "A: b\r\n".repeat(101) + "\r\n"));
        // Connection naming a framing or forwarding header: dropping it would let the body pass as a second request.
        assertEquals(
                400,
                refusal(
                        "POST / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 3\r\n\r\n"));
        assertEquals(400, refusal("POST / HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding\r\n\r\n"));
        assertEquals(400, refusal("GET / HTTP/1.1\r\nHost: x\r\nConnection: X-Forwarded-For\r\n\r\n"));
    }

    @Test
    void a_response_whose_connection_header_names_its_framing_is_a_502() throws IOException {
        HttpMessage lying = HttpMessage.readResponse(
                bytes("HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 2\r\n\r\nok"));
        assertEquals(
                502, assertThrows(HttpMessage.BadMessageException.class, () -> lying.bodyLength(true, false)).status);
    }

    @Test
    void a_stream_of_ten_thousand_small_chunks_passes_whole() throws IOException {
        // 10,000 size lines and line ends are 50,000 bytes of framing around 50,000 of data: no head limit covers them.
        String body = "5\r\nabcd\n\r\n".repeat(10_000) + "0\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HttpMessage.copyBody(bytes(body), out, -1, true);
        assertEquals(body, out.toString(StandardCharsets.ISO_8859_1));
    }

    @Test
    void chunked_body_is_reframed_with_its_trailers_and_nothing_after_it_is_taken() throws IOException {
        InputStream in = bytes("5;ext=1\r\nhello\r\n0006\r\n world\r\n0\r\nX-Sum: 1\r\n\r\nNEXT");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HttpMessage.copyBody(in, out, -1, false);
        assertEquals("5\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 1\r\n\r\n", out.toString(StandardCharsets.ISO_8859_1));
        assertEquals(
                "NEXT",
                new String(in.readAllBytes(), StandardCharsets.ISO_8859_1),
                "the next request stays in the stream");
    }

    @Test
    void chunk_with_a_bad_size_or_a_longer_body_is_refused() {
        assertThrows(
                HttpMessage.BadMessageException.class,
                () -> HttpMessage.copyBody(bytes("zz\r\n"), new ByteArrayOutputStream(), -1, false));
        assertThrows(
                HttpMessage.BadMessageException.class,
                () -> HttpMessage.copyBody(bytes("2\r\nabc\r\n0\r\n\r\n"), new ByteArrayOutputStream(), -1, true));
    }

    @Test
    void response_framing_follows_rfc_9112() throws IOException {
        HttpMessage notModified =
                HttpMessage.readResponse(bytes("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"));
        assertEquals(0, notModified.bodyLength(true, false));
        HttpMessage untilClose = HttpMessage.readResponse(bytes("HTTP/1.0 200 OK\r\n\r\n"));
        assertEquals(-2, untilClose.bodyLength(true, false));
        HttpMessage sized = HttpMessage.readResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"));
        assertEquals(0, sized.bodyLength(true, true), "no body in answer to HEAD");
        assertEquals(7, sized.bodyLength(true, false));
        assertEquals(
                502,
                assertThrows(
                                HttpMessage.BadMessageException.class,
                                () -> HttpMessage.readResponse(bytes("SSH-2.0-OpenSSH_9.2\r\n")))
                        .status);
    }
}
