package io.edgerent.hub.router.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One request for the hub's own pages: its body gathered (the pages take small forms), its answer as a message. */
final class PageCall {
    private static final Logger LOG = LoggerFactory.getLogger(PageCall.class);
    static final int BODY_LIMIT = 64 * 1024;

    private final HttpRequest request;
    private final CompositeByteBuf body;

    PageCall(HttpRequest request, ByteBufAllocator alloc) {
        this.request = request;
        this.body = alloc.compositeBuffer();
    }

    /** Takes a piece of the body; false (and nothing kept) once the body would pass the limit. */
    boolean add(HttpContent content) {
        try {
            if (body.readableBytes() + content.content().readableBytes() > BODY_LIMIT) {
                release();
                return false;
            }
            body.addComponent(true, content.content().retain());
            return true;
        } finally {
            content.release();
        }
    }

    /** The whole request as the pages take it; the body's buffers are let go. */
    Pages.Request request(boolean https, String client) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : request.headers()) {
            headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(h.getValue());
        }
        byte[] bytes = ByteBufUtil.getBytes(body);
        release();
        return new Pages.Request(request.method().name(), request.uri(), headers, bytes, https, client);
    }

    void release() {
        if (body.refCnt() > 0) {
            body.release();
        }
    }

    /** Runs a page on the calling (worker) thread; a page that fails is a 500, said in the log. */
    static Pages.Reply serve(Pages pages, Pages.Request asked) {
        try {
            return pages.serve(asked);
        } catch (RuntimeException e) {
            LOG.error("page {} failed", asked.uri(), e);
            return new Pages.Reply(
                    500, List.of(), "The hub could not answer this page.".getBytes(StandardCharsets.UTF_8));
        }
    }

    static FullHttpResponse response(Pages.Reply reply, boolean toHead, boolean keepAlive) {
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()),
                toHead ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
        for (String[] h : reply.headers()) {
            r.headers().add(h[0], h[1]);
        }
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
        }
        return r;
    }
}
