package io.edgerent.systemtests.router;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Requests that frame their body so that a careless proxy and the server behind it would see different request
 * boundaries (RFC 9112 sections 6 and 7, and the smuggling write-ups that follow them), each carrying a hidden
 * request that only a server reading the wrong boundary would see.
 */
final class FramingTricks {
    private FramingTricks() {}

    /** What each trick is called, and its bytes, with {@code hidden} inside and {@code host} as its Host. */
    static Map<String, String> hiding(String hidden, String host) {
        String h = "POST /echo HTTP/1.1\r\nHost: " + host + "\r\n";
        String chunkedHidden = Integer.toHexString(hidden.length()) + "\r\n" + hidden + "\r\n0\r\n\r\n";
        Map<String, String> tricks = new LinkedHashMap<>();
        tricks.put(
                "Content-Length with Transfer-Encoding",
                h + "Content-Length: 4\r\nTransfer-Encoding: chunked" + "\r\n\r\n0\r\n\r\n" + hidden);
        tricks.put(
                "two different Content-Lengths",
                h + "Content-Length: 0\r\nContent-Length: " + hidden.length() + "\r\n\r\n" + hidden);
        tricks.put("a signed Content-Length", h + "Content-Length: +0\r\n\r\n" + hidden);
        tricks.put("an obfuscated coding", h + "Transfer-Encoding: xchunked\r\n\r\n" + chunkedHidden);
        tricks.put(
                "chunked, then another coding",
                h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity" + "\r\n\r\n" + chunkedHidden);
        tricks.put(
                "a space before the colon",
                h + "Transfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n" + chunkedHidden);
        tricks.put(
                "Connection naming Transfer-Encoding",
                h + "Connection: transfer-encoding\r\n" + "Transfer-Encoding: chunked\r\n\r\n" + chunkedHidden);
        tricks.put("a folded Transfer-Encoding", h + "X-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n" + chunkedHidden);
        tricks.put("bare LF line ends", h.replace("\r\n", "\n") + "Content-Length: 0\n\n" + hidden);
        tricks.put("a NUL in a header", h + "X-Pad: a\0b\r\nContent-Length: 0\r\n\r\n" + hidden);
        tricks.put("a signed chunk size", h + "Transfer-Encoding: chunked\r\n\r\n-0\r\n\r\n" + hidden);
        tricks.put(
                "a plus-signed chunk size",
                h + "Transfer-Encoding: chunked\r\n\r\n+" + chunkedHidden.substring(0, chunkedHidden.indexOf('\r'))
                        + "\r\n" + hidden + "\r\n0\r\n\r\n");
        tricks.put(
                "an overlong chunk size", h + "Transfer-Encoding: chunked\r\n\r\n" + "f".repeat(20) + "\r\n" + hidden);
        tricks.put(
                "a chunk longer than its size", h + "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n" + hidden);
        return tricks;
    }
}
