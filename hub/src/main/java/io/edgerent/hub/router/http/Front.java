package io.edgerent.hub.router.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its requests in order, each to its rental's web server (through one upstream connection
 * kept while the client names the same rental) or to the hub's pages. Everything runs on the connection's event
 * loop; blocking work (the database, the pages) is handed to the router's workers and its answer comes back here.
 * The client is read only while a request may proceed, so a pipelined request waits for the answer before it.
 */
final class Front extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Front.class);

    private enum State {
        /** Waiting for a request head. */
        HEAD,
        /** A request's body is passing to the rental or being gathered for the pages. */
        BODY,
        /** Finding the rental and opening its tunnel; the request waits. */
        ROUTING,
        /** The request is whole; its answer is on its way. */
        ANSWERING,
        /** After a 101: bytes both ways. */
        UPGRADED
    }

    private final HttpRouter router;
    private final Channel client;
    private final boolean https;
    private final String clientAddress;
    private final Wire wire;
    private ChannelHandlerContext ctx;

    private State state = State.HEAD;
    /** Messages decoded while the connection was busy with an earlier step. */
    private final ArrayDeque<Object> pending = new ArrayDeque<>();

    /** The one deadline the connection's state has: head, idle, or stalled body. */
    private final Deadline deadline;

    private HttpRequest request;
    /** When the current request's head arrived (System.nanoTime), for the time to first byte. */
    private long requestArrived;

    private boolean keepAlive;
    private boolean toPages;
    private PageCall page;

    /** The rental this connection is routed to, and the loopback port of its tunnel. */
    private String rental;

    private int port;
    private Upstream upstream;

    Front(HttpRouter router, Channel client, boolean https) {
        this.router = router;
        this.client = client;
        this.https = https;
        this.clientAddress =
                ((InetSocketAddress) client.remoteAddress()).getAddress().getHostAddress();
        this.wire = new Wire(router, this);
        this.deadline = new Deadline(client);
    }

    /** The handler below the HTTP codec that goes with this connection. */
    Wire wire() {
        return wire;
    }

    /** The first byte of a head arrived: the rest must follow within the head deadline. */
    void headBegun() {
        deadline.set(HttpRouter.HEAD_TIMEOUT_MILLIS, () -> {
            if (state == State.HEAD) {
                wire.refuse(408, "Request timeout", "The request head took too long to arrive.");
            }
        });
    }

    /** The wire answered and closes the connection. */
    void refusedBelow() {
        deadline.clear();
        state = State.ANSWERING;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        ctx = c;
    }

    @Override
    public void channelActive(ChannelHandlerContext c) {
        awaitHead();
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        pending.add(msg);
        drain();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext c) {
        if (state == State.HEAD || state == State.BODY || state == State.UPGRADED) {
            readIfWanted();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
        if (upstream != null) {
            upstream.clientWritable(client.isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        deadline.clear();
        dropWhatWaits();
        leaveRental();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        LOG.debug("HTTP connection from {} ended: {}", clientAddress, cause.toString());
        c.close();
    }

    /** Handles what was decoded, in order, as far as the connection's state lets it go. */
    private void drain() {
        while (!pending.isEmpty()
                && (state == State.HEAD || state == State.BODY || state == State.UPGRADED)
                && client.isActive()) {
            Object msg = pending.poll();
            if (state == State.UPGRADED) {
                upstream.send(msg, true);
            } else if (msg instanceof HttpRequest r) {
                if (state != State.HEAD) {
                    ReferenceCountUtil.release(msg);
                    refuse(RouterPage.of(400, "Bad request", "a request began inside another"));
                } else {
                    onRequest(r);
                }
            } else if (msg instanceof HttpContent content) {
                onContent(content);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private void readIfWanted() {
        if (client.isActive() && pending.isEmpty() && (upstream == null || upstream.writable())) {
            client.read();
        }
    }

    private void onRequest(HttpRequest r) {
        requestArrived = System.nanoTime();
        deadline.clear();
        RouterPage refusal = Forwarding.refusal(r);
        request = r;
        keepAlive = HttpUtil.isKeepAlive(r);
        if (refusal != null) {
            ReferenceCountUtil.release(r);
            refuse(refusal);
            return;
        }
        String host = r.headers().get(HttpHeaderNames.HOST);
        Optional<String> named = router.rentalOf(host);
        if (named.isEmpty()) {
            if (router.isUnderRentalDomain(host)) {
                refuse(RouterPage.noRentalHere(router.config.domain()));
                return;
            }
            // The hub's own name: its pages, after a rental's on the same connection, if any.
            leaveRental();
            toPages = true;
            page = new PageCall(r, ctx.alloc());
            Forwarding.answerExpect(ctx, r);
            state = State.BODY;
            stallDeadline();
            return;
        }
        toPages = false;
        if (named.get().equals(rental)) {
            forward();
            return;
        }
        // A new rental on this connection: ask the database once, then follow closing events.
        leaveRental();
        state = State.ROUTING;
        router.workers.execute(() -> {
            Route route = Route.lookup(router, named.get());
            ctx.executor().execute(() -> routed(named.get(), route));
        });
    }

    private void routed(String name, Route route) {
        if (!client.isActive()) {
            return;
        }
        if (route.refusal() != null) {
            refuse(route.refusal());
            return;
        }
        rental = name;
        port = route.port();
        router.opened(name, client);
        forward();
    }

    /** Passes the current request on to the rental, over the kept upstream connection or a new one. */
    private void forward() {
        if (upstream != null && upstream.isActive()) {
            sendRequest();
            return;
        }
        state = State.ROUTING;
        Upstream.open(this, ctx, router.transport, port).addListener((ChannelFutureListener) f -> {
            if (!client.isActive()) {
                f.channel().close();
            } else if (f.isSuccess()) {
                sendRequest();
            } else {
                refuse(RouterPage.tunnelNotOpen(rental, f.cause()));
            }
        });
    }

    /** The head of the rental's answer to the current request is on its way to the visitor. */
    void answerBegun() {
        router.metrics.routerFirstByte(System.nanoTime() - requestArrived);
    }

    private void sendRequest() {
        boolean upgrade = Forwarding.isUpgrade(request);
        Forwarding.answerExpect(ctx, request);
        upstream.start(request, upgrade);
        upstream.send(Forwarding.toUpstream(request, clientAddress, https, upgrade), false);
        state = State.BODY;
        stallDeadline();
        drain();
        upstream.flush();
        readIfWanted();
    }

    private void onContent(HttpContent content) {
        if (state != State.BODY) {
            content.release(); // the rest of a request already refused
            return;
        }
        if (content.decoderResult().isFailure()) {
            Throwable cause = content.decoderResult().cause();
            content.release();
            // The upstream has part of a body and no end (its connection closes now): it sees no second request.
            refuse(RouterPage.of(400, "Bad request", Forwarding.describe(cause)));
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (toPages) {
            gather(content, last);
        } else {
            upstream.send(content, true);
            if (last) {
                deadline.clear(); // from here the answer sets the pace: a quiet event stream may stay open for hours
                state = State.ANSWERING;
                upstream.awaitAnswer();
            } else {
                stallDeadline();
            }
        }
    }

    private void gather(HttpContent content, boolean last) {
        if (!page.add(content)) {
            refuse(RouterPage.of(
                    413, "Content too large", "A form is at most " + PageCall.BODY_LIMIT / 1024 + " KiB."));
            return;
        }
        if (!last) {
            stallDeadline();
            return;
        }
        deadline.clear();
        state = State.ANSWERING;
        Pages.Request asked = page.request(https, clientAddress);
        page = null;
        router.workers.execute(() -> {
            Pages.Reply reply = PageCall.serve(router.pages, asked);
            ctx.executor().execute(() -> {
                if (client.isActive()) {
                    ctx.writeAndFlush(PageCall.response(reply, request.method().equals(HttpMethod.HEAD), keepAlive))
                            .addListener((ChannelFutureListener) f -> answered(!keepAlive));
                }
            });
        });
    }

    // ---- called by the upstream connection, on this event loop

    /** The rental's answer is whole; {@code close} when the connection may not carry another request. */
    void answered(boolean close) {
        if (close || !keepAlive) {
            ctx.flush();
            client.close();
            return;
        }
        awaitHead();
        drain();
        readIfWanted();
    }

    /** The rental switched protocols: from now on bytes pass as they are, both ways. */
    void upgraded() {
        deadline.clear();
        state = State.UPGRADED;
        ctx.pipeline().remove("http"); // what the decoder still held arrives here as bytes
        drain();
        readIfWanted();
    }

    /** The new upstream connection, before it connects. */
    void upstreamOpened(Upstream which) {
        upstream = which;
    }

    /** The upstream closed between requests: the next request opens a new one. */
    void upstreamIdleClosed(Upstream which) {
        if (upstream == which) {
            upstream = null;
        }
    }

    void upstreamWritable() {
        if (state == State.BODY || state == State.UPGRADED) {
            readIfWanted();
        }
    }

    String rental() {
        return rental;
    }

    // ---- states and deadlines

    private void awaitHead() {
        state = State.HEAD;
        request = null;
        wire.expectHead();
        deadline.set(HttpRouter.IDLE_TIMEOUT_MILLIS, client::close);
        readIfWanted();
    }

    private void stallDeadline() {
        deadline.set(HttpRouter.BODY_STALL_MILLIS, () -> {
            LOG.debug("HTTP client {} stalled in a request body", clientAddress);
            client.close();
        });
    }

    /** Answers with one of the router's own pages, then closes the connection. */
    void refuse(RouterPage answer) {
        deadline.clear();
        state = State.ANSWERING;
        dropWhatWaits();
        boolean head = request != null && request.method().equals(HttpMethod.HEAD);
        leaveRental();
        wire.closeAfter(ctx.writeAndFlush(answer.response(head)));
    }

    private void dropWhatWaits() {
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        if (page != null) {
            page.release();
            page = null;
        }
    }

    private void leaveRental() {
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        if (rental != null) {
            router.forgot(rental, client);
            rental = null;
        }
    }
}
