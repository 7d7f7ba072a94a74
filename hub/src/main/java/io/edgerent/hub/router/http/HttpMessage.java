package io.edgerent.hub.router.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The head of one HTTP/1.x request or response, read strictly, and the body framing rules of
 * RFC 9112 that a proxy needs to pass a body through without holding it: copy exactly
 * Content-Length bytes, re-frame chunks, or copy until the sender closes.
 */
final class HttpMessage {
    static final int MAX_HEAD_BYTES = 32 * 1024;
    static final int MAX_HEADERS = 100;
    /** Headers that describe one connection and are never passed to the next hop. */
    static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "te",
            "trailer",
            "upgrade",
            "proxy-authenticate",
            "proxy-authorization");

    /**
     * Headers a {@code Connection} header may not name: dropping them as hop-by-hop would change the message's
     * framing (the upstream would read its body as a next request the router never saw) or its routing, or would
     * drop what the router writes about the client itself.
     */
    static final Set<String> NOT_HOP_BY_HOP = Set.of(
            "content-length",
            "transfer-encoding",
            "host",
            "forwarded",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-real-ip");

    /** A message the router refuses to pass on, with the status it answers. */
    static final class BadMessageException extends RuntimeException {
        final int status;

        BadMessageException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** {@code method target version} of a request, or {@code version status reason} of a response. */
    final String[] startLine;

    final List<String[]> headers;

    private HttpMessage(String[] startLine, List<String[]> headers) {
        this.startLine = startLine;
        this.headers = headers;
    }

    /** Reads a request head, or returns null when the client closed the connection before sending one. */
    static HttpMessage readRequest(InputStream in, long deadlineNanos) throws IOException {
        Reader reader = new Reader(in, deadlineNanos);
        String line = reader.line(true);
        if (line == null) {
            return null;
        }
        if (line.isEmpty()) {
            line = reader.line(false); // RFC 9112 2.2: a recipient ignores one empty line before a request.
        }
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || !parts[2].matches("HTTP/1\\.[01]")) {
            throw new BadMessageException(400, "the request line is not METHOD TARGET HTTP/1.1");
        }
        if (!parts[1].startsWith("/") && !(parts[0].equals("OPTIONS") && parts[1].equals("*"))) {
            throw new BadMessageException(400, "the request target must be a path starting with /");
        }
        for (int i = 0; i < parts[1].length(); i++) {
            char c = parts[1].charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw new BadMessageException(400, "the request target holds a character that must be percent-encoded");
            }
        }
        return new HttpMessage(parts, reader.headers());
    }

    /** Reads a response head; a 502 when what came back is not HTTP. */
    static HttpMessage readResponse(InputStream in) throws IOException {
        Reader reader = new Reader(in, Long.MAX_VALUE);
        String line = reader.line(true);
        if (line == null) {
            throw new BadMessageException(502, "the rental's web server closed the connection without answering");
        }
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].matches("HTTP/1\\.[01]") || !parts[1].matches("[1-5][0-9][0-9]")) {
            throw new BadMessageException(502, "the rental's web server did not answer in HTTP/1.1");
        }
        try {
            return new HttpMessage(
                    new String[] {parts[0], parts[1], parts.length == 3 ? parts[2] : ""}, reader.headers());
        } catch (BadMessageException e) {
            throw new BadMessageException(502, "the rental's web server sent a malformed response: " + e.getMessage());
        }
    }

    String method() {
        return startLine[0];
    }

    String version() {
        return startLine[0].startsWith("HTTP/") ? startLine[0] : startLine[2];
    }

    int status() {
        return Integer.parseInt(startLine[1]);
    }

    /** The values of a header, joined with commas when it came more than once; null when absent. */
    String header(String name) {
        String joined = null;
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                joined = joined == null ? h[1] : joined + ", " + h[1];
            }
        }
        return joined;
    }

    /** Whether a comma-separated header such as Connection holds this token, ignoring case. */
    boolean hasToken(String name, String token) {
        String value = header(name);
        if (value == null) {
            return false;
        }
        for (String part : value.split(",")) {
            if (part.strip().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    /** How many body bytes follow: -1 for chunked, -2 for "until the connection closes", else the length. */
    long bodyLength(boolean isResponse, boolean toHead) {
        for (String named : NOT_HOP_BY_HOP) {
            if (hasToken("connection", named)) {
                throw new BadMessageException(
                        isResponse ? 502 : 400,
                        "a Connection header may not name " + named + " (it would change how the message is framed"
                                + " or routed)");
            }
        }
        if (isResponse) {
            int status = status();
            if (toHead || status / 100 == 1 || status == 204 || status == 304) {
                return 0;
            }
        }
        String te = header("transfer-encoding");
        String cl = header("content-length");
        if (te != null) {
            if (!isResponse && cl != null) {
                throw new BadMessageException(
                        400, "a request must not carry both Transfer-Encoding and Content-Length");
            }
            String[] codings = te.split(",");
            boolean chunkedLast = codings[codings.length - 1].strip().equalsIgnoreCase("chunked");
            if (!isResponse && !(codings.length == 1 && chunkedLast)) {
                throw new BadMessageException(501, "only Transfer-Encoding: chunked is accepted in requests");
            }
            return chunkedLast ? -1 : -2;
        }
        if (cl != null) {
            String first = null;
            for (String value : cl.split(",")) {
                String v = value.strip();
                if (!v.matches("[0-9]{1,18}") || (first != null && !first.equals(v))) {
                    throw new BadMessageException(isResponse ? 502 : 400, "Content-Length is not one whole number");
                }
                first = v;
            }
            return Long.parseLong(first);
        }
        return isResponse ? -2 : 0;
    }

    /**
     * Copies a body of {@code length} (as {@link #bodyLength}) from {@code in} to {@code out},
     * flushing as it goes, so a stream reaches the client while it is being produced.
     */
    static void copyBody(InputStream in, OutputStream out, long length, boolean fromUpstream) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        if (length >= 0) {
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("the body ended after " + (length - left) + " of " + length + " bytes");
                }
                out.write(buffer, 0, n);
                if (in.available() == 0) {
                    out.flush();
                }
                left -= n;
            }
            out.flush();
        } else if (length == -2) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                if (in.available() == 0) {
                    out.flush();
                }
            }
            out.flush();
        } else {
            copyChunks(in, out, buffer, fromUpstream);
        }
    }

    private static void copyChunks(InputStream in, OutputStream out, byte[] buffer, boolean fromUpstream)
            throws IOException {
        int badStatus = fromUpstream ? 502 : 400;
        while (true) {
            // Each chunk-size line (and the trailers) is held to the head's limit on its own: a long stream of
            // small chunks is no large head.
            Reader reader = new Reader(in, Long.MAX_VALUE);
            String sizeLine = reader.line(false);
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).strip();
            if (!hex.matches("[0-9a-fA-F]{1,15}")) {
                throw new BadMessageException(badStatus, "a chunk size is not a hexadecimal number");
            }
            long size = Long.parseLong(hex, 16);
            byte[] sizeBytes = (Long.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            out.write(sizeBytes);
            if (size == 0) {
                for (String[] trailer : reader.headers()) {
                    byte[] line = (trailer[0] + ": " + trailer[1] + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
                    out.write(line);
                }
                out.write('\r');
                out.write('\n');
                out.flush();
                return;
            }
            for (long left = size; left > 0; ) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("the connection closed inside a chunk");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
            if (!reader.line(false).isEmpty()) {
                throw new BadMessageException(badStatus, "a chunk is longer than its size says");
            }
            out.write('\r');
            out.write('\n');
            if (in.available() == 0) {
                out.flush();
            }
        }
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Reads CRLF (or bare LF) terminated lines of a head within a size limit and a deadline. */
    private static final class Reader {
        private final InputStream in;
        private final long deadlineNanos;
        private int bytesRead;

        Reader(InputStream in, long deadlineNanos) {
            this.in = in;
            this.deadlineNanos = deadlineNanos;
        }

        /** One line without its terminator; null at end of stream before the first byte if {@code eofAllowed}. */
        String line(boolean eofAllowed) throws IOException {
            StringBuilder line = new StringBuilder();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    if (eofAllowed && line.isEmpty()) {
                        return null;
                    }
                    throw new BadMessageException(400, "the connection closed in the middle of a head");
                }
                if (++bytesRead > MAX_HEAD_BYTES) {
                    throw new BadMessageException(431, "the head is larger than " + MAX_HEAD_BYTES + " bytes");
                }
                if ((bytesRead & 0xff) == 0 && System.nanoTime() > deadlineNanos) {
                    throw new BadMessageException(408, "the head took too long to arrive");
                }
                eofAllowed = false;
                if (b == '\r') {
                    b = in.read();
                    bytesRead++;
                    if (b != '\n') {
                        throw new BadMessageException(400, "a head line holds a bare CR");
                    }
                }
                if (b == '\n') {
                    return line.toString();
                }
                if (b == 0) {
                    throw new BadMessageException(400, "a head line holds a NUL byte");
                }
                line.append((char) b);
            }
        }

        List<String[]> headers() throws IOException {
            List<String[]> headers = new ArrayList<>();
            while (true) {
                String line = line(false);
                if (line.isEmpty()) {
                    return headers;
                }
                if (headers.size() == MAX_HEADERS) {
                    throw new BadMessageException(431, "more than " + MAX_HEADERS + " header fields");
                }
                if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                    throw new BadMessageException(400, "folded header lines are not accepted");
                }
                int colon = line.indexOf(':');
                if (colon <= 0 || !isToken(line.substring(0, colon))) {
                    throw new BadMessageException(400, "a header line is not NAME: VALUE");
                }
                headers.add(new String[] {
                    line.substring(0, colon).toLowerCase(Locale.ROOT),
                    line.substring(colon + 1).strip()
                });
            }
        }
    }
}
