package io.edgerent.hub.router.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** A short HTML page the router answers with itself, when it cannot or may not pass a request on. */
record RouterPage(int status, String title, String text) {
    static RouterPage of(int status, String title, String text) {
        return new RouterPage(status, title, text);
    }

    static RouterPage noRentalHere(String domain) {
        return of(
                404,
                "No rental here",
                "Rentals answer at http://RENTAL." + domain + "/, for example http://r-0123456789ab." + domain + "/.");
    }

    /** The device's tunnel could not be reached from the hub. */
    static RouterPage tunnelNotOpen(String rental, Throwable cause) {
        return cause instanceof java.net.ConnectException
                ? of(
                        502,
                        "Device offline",
                        "The device serving " + rental + " has no tunnel open to this hub right now;"
                                + " it reconnects within seconds of being back online.")
                : of(502, "Bad gateway", "The tunnel of " + rental + " failed: " + cause.getMessage());
    }

    /** The answer as a message; the router closes the connection after its own pages. */
    FullHttpResponse response(boolean toHead) {
        byte[] body = html().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                new HttpResponseStatus(status, title),
                toHead ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set("x-edgerent-router", status)
                .set(HttpHeaderNames.CONNECTION, "close");
        if (status == 503) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, 5);
        }
        return r;
    }

    /** The whole answer as bytes, for a connection refused before any HTTP is read from it. */
    byte[] bytes() {
        byte[] body = html().getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 " + status + " " + title
                        + "\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: " + body.length
                        + "\r\ncache-control: no-store\r\nx-edgerent-router: " + status + "\r\n"
                        + (status == 503 ? "retry-after: 5\r\n" : "") + "connection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    private String html() {
        return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\""
                + " content=\"width=device-width\"><title>" + status + " " + escape(title)
                + "</title></head>\n<body><h1>"
                + escape(title) + "</h1>\n<p>" + escape(text)
                + "</p>\n<p><small>edgerent hub</small></p></body></html>\n";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
