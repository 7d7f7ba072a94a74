package io.edgerent.hub.router.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What passes from one hop to the next. Netty's decoder frames messages by RFC 9112 (one Content-Length or a final
 * chunked coding, not both; strict CRLF; hexadecimal chunk sizes); these rules add what a proxy needs on top: the
 * request must name one host and a plain path, a {@code Connection} header may not name a header that frames or
 * routes the message, hop-by-hop headers stop here, and the {@code X-Forwarded-*} and {@code Forwarded} headers the
 * next hop reads are the router's own. Every message is written out again by Netty's encoder, so the upstream sees
 * exactly the boundaries the router saw.
 */
final class Forwarding {
    private Forwarding() {}

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

    /** The router's answer to a request it may not pass on (Netty's decoder refused it, or these rules), or null. */
    static RouterPage refusal(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = statusFor(cause);
            return RouterPage.of(status.code(), status.reasonPhrase(), describe(cause));
        }
        String problem = problem(request);
        return problem == null ? null : RouterPage.of(400, "Bad request", problem);
    }

    /** Why a decoded request may not pass, or null when it may. */
    static String problem(HttpRequest request) {
        String target = request.uri();
        boolean star = target.equals("*") && request.method().name().equals("OPTIONS");
        if (!target.startsWith("/") && !star) {
            return "the request target must be a path starting with /";
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return "the request target holds a character that must be percent-encoded";
            }
        }
        List<String> hosts = request.headers().getAll("host");
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && (hosts.size() != 1
                        || hosts.get(0).contains(",")
                        || hosts.get(0).isBlank())) {
            return "an HTTP/1.1 request needs exactly one Host header";
        }
        return framingNamed(request.headers());
    }

    /** Why a response may not pass (the router answers 502 instead), or null when it may. */
    static String problem(HttpResponse response) {
        return framingNamed(response.headers());
    }

    private static String framingNamed(HttpHeaders headers) {
        Set<String> named = tokens(headers, "connection");
        for (String header : NOT_HOP_BY_HOP) {
            if (named.contains(header)) {
                return "a Connection header may not name " + header
                        + " (it would change how the message is framed or routed)";
            }
        }
        return null;
    }

    /** The status for a message Netty's decoder refused. */
    static HttpResponseStatus statusFor(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongFrameException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        String message = String.valueOf(cause.getMessage());
        if (message.contains("final transfer coding must be chunked")) {
            return HttpResponseStatus.NOT_IMPLEMENTED;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    /** What a refused message is told, in a sentence a person can act on. */
    static String describe(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return "the request head is too large";
        }
        if (cause instanceof TooLongHttpLineException) {
            return "the request line is too long";
        }
        String message = cause.getMessage();
        return message == null ? "the request is not HTTP/1.1" : "the request is not valid HTTP/1.1: " + message;
    }

    /** The request as the rental's web server gets it: its own headers without hop-by-hop ones, and the router's. */
    static HttpRequest toUpstream(HttpRequest request, String client, boolean https, boolean upgrade) {
        HttpRequest out = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri());
        HttpHeaders from = request.headers();
        Set<String> named = tokens(from, "connection");
        for (Map.Entry<String, String> h : from) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name)
                    && !named.contains(name)
                    && !name.equals("expect")
                    && !name.equals("forwarded")
                    && !name.startsWith("x-forwarded-")) {
                out.headers().add(name, h.getValue());
            }
        }
        String forwardedFor = joined(from, "x-forwarded-for");
        String forwarded = joined(from, "forwarded");
        String host = from.get("host", "");
        String proto = https ? "https" : "http";
        out.headers()
                .set("x-forwarded-for", (forwardedFor == null ? "" : forwardedFor + ", ") + client)
                .set("x-forwarded-proto", proto)
                .set("x-forwarded-host", host)
                // RFC 7239: the same, in one header; what the client claimed comes first, this hop last.
                .set(
                        "forwarded",
                        (forwarded == null ? "" : forwarded + ", ") + "for="
                                + (client.contains(":") ? "\"[" + client + "]\"" : client) + ";proto=" + proto
                                + ";host=\"" + host.replace("\"", "") + "\"");
        if (upgrade) {
            out.headers().set("connection", "upgrade").set("upgrade", from.get("upgrade"));
        }
        return out;
    }

    /** The response as the client gets it, without the upstream's hop-by-hop headers. */
    static HttpResponse toClient(HttpResponse response, boolean upgraded, boolean close) {
        HttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status());
        HttpHeaders from = response.headers();
        Set<String> named = tokens(from, "connection");
        for (Map.Entry<String, String> h : from) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !named.contains(name)) {
                out.headers().add(name, h.getValue());
            }
        }
        if (upgraded) {
            out.headers().set("connection", "upgrade").set("upgrade", from.get("upgrade"));
        } else if (close) {
            out.headers().set("connection", "close");
        }
        return out;
    }

    /**
     * Answers a client that waits for a 100 before sending its body. The router answers it itself (the {@code Expect}
     * header is not passed on), so the body is never held up waiting for the rental's server.
     */
    static void answerExpect(ChannelHandlerContext client, HttpRequest request) {
        if (HttpUtil.is100ContinueExpected(request)
                && (HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0)) {
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
    }

    /** Whether the request asks to switch protocols (a WebSocket, usually). */
    static boolean isUpgrade(HttpMessage message) {
        return message.headers().contains("upgrade") && hasToken(message.headers(), "connection", "upgrade");
    }

    /** Whether a comma-separated header such as Connection holds this token, ignoring case. */
    static boolean hasToken(HttpHeaders headers, String name, String token) {
        return tokens(headers, name).contains(token.toLowerCase(Locale.ROOT));
    }

    /** The lower-case tokens of a comma-separated header, over all its lines. */
    static Set<String> tokens(HttpHeaders headers, String name) {
        List<String> values = headers.getAll(name);
        if (values.isEmpty()) {
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String value : values) {
            for (String part : value.split(",")) {
                tokens.add(part.strip().toLowerCase(Locale.ROOT));
            }
        }
        return tokens;
    }

    private static String joined(HttpHeaders headers, String name) {
        List<String> values = headers.getAll(name);
        return values.isEmpty() ? null : String.join(", ", values);
    }
}
