package io.edgerent.hub.router.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection from the router to one rental's web server (through its device's tunnel), on the client
 * connection's event loop. It is read only while the client can take what it reads: a slow client slows the
 * rental's server, and nothing piles up in the hub.
 */
final class Upstream extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

    private final Front front;
    /** The client's end: what the rental answers is written there. */
    private final ChannelHandlerContext client;

    private final Channel channel;

    private boolean toHead;
    /** An HTTP/1.0 client knows no chunks: a chunked answer reaches it framed by closing the connection. */
    private boolean oldClient;

    private boolean upgrade;
    /** The request is sent (or being sent) and its answer has not begun. */
    private boolean awaiting;
    /** An answer's head was passed on; its body follows. */
    private boolean answering;

    private boolean informational;
    private boolean upgraded;
    /** The answer is framed by closing the connection: so is the client's. */
    private boolean closeAfter;

    private boolean closeUpstreamAfter;
    private ScheduledFuture<?> timeout;

    Upstream(Front front, ChannelHandlerContext client, Channel channel) {
        this.front = front;
        this.client = client;
        this.channel = channel;
    }

    /** Connects to a rental's tunnel at a loopback port, on the client connection's own event loop. */
    static ChannelFuture open(Front front, ChannelHandlerContext client, Transport transport, int port) {
        return new Bootstrap()
                .group(client.channel().eventLoop())
                .channel(transport.clients())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Upstream upstream = new Upstream(front, client, ch);
                        front.upstreamOpened(upstream);
                        ch.pipeline()
                                .addLast("http", new HttpClientCodec(HttpRouter.decoderConfig(), false, true))
                                .addLast("upstream", upstream);
                    }
                })
                .connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    boolean isActive() {
        return channel.isActive();
    }

    boolean writable() {
        return channel.isWritable();
    }

    /** A new request begins on this connection. */
    void start(HttpRequest request, boolean upgrade) {
        this.toHead = request.method().equals(HttpMethod.HEAD);
        this.oldClient = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.upgrade = upgrade;
        awaiting = true;
        channel.read();
    }

    void send(Object msg, boolean flush) {
        if (flush) {
            channel.writeAndFlush(msg);
        } else {
            channel.write(msg);
        }
    }

    void flush() {
        channel.flush();
    }

    /** The request is whole: the answer must begin within the router's upstream timeout. */
    void awaitAnswer() {
        if (!awaiting) {
            return;
        }
        timeout = channel.eventLoop()
                .schedule(
                        () -> {
                            if (awaiting) {
                                front.refuse(RouterPage.of(
                                        504,
                                        "Gateway timeout",
                                        "The rental's web server did not answer within "
                                                + HttpRouter.UPSTREAM_TIMEOUT_MILLIS / 1000 + " s."));
                            }
                        },
                        HttpRouter.UPSTREAM_TIMEOUT_MILLIS,
                        TimeUnit.MILLISECONDS);
    }

    void clientWritable(boolean writable) {
        if (writable && (awaiting || answering || upgraded)) {
            channel.read();
        }
    }

    void close() {
        cancelTimeout();
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (upgraded) {
            if (msg instanceof ByteBuf) {
                client.write(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } else if (msg instanceof HttpResponse response) {
            head(response);
        } else if (msg instanceof HttpContent content) {
            body(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void head(HttpResponse response) {
        ReferenceCountUtil.release(response);
        if (response.decoderResult().isFailure()) {
            fail("the rental's web server did not answer in HTTP/1.1 ("
                    + response.decoderResult().cause().getMessage()
                    + "; is a web server listening on port 80 in the rental?)");
            return;
        }
        int status = response.status().code();
        if (status / 100 == 1 && status != 101) {
            informational = true; // the router answered Expect itself; other interim answers stop here
            return;
        }
        String problem = Forwarding.problem(response);
        if (problem != null) {
            fail(problem);
            return;
        }
        cancelTimeout();
        awaiting = false;
        if (status == 101) {
            if (!upgrade) {
                fail("The rental's web server switched protocols unasked.");
                return;
            }
            upgraded = true;
            front.answerBegun();
            client.write(Forwarding.toClient(response, true, false));
            client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            channel.pipeline().remove("http");
            front.upgraded();
            return;
        }
        answering = true;
        boolean mayHaveBody = !toHead && status != 204 && status != 304;
        closeAfter =
                mayHaveBody && !HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response);
        if (oldClient && HttpUtil.isTransferEncodingChunked(response)) {
            closeAfter = true;
            response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        closeUpstreamAfter = closeAfter || !HttpUtil.isKeepAlive(response);
        front.answerBegun();
        client.write(Forwarding.toClient(response, false, closeAfter));
    }

    private void body(HttpContent content) {
        if (informational) {
            informational = !(content instanceof LastHttpContent);
            content.release();
            return;
        }
        if (!answering) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            LOG.debug(
                    "{}: broken response body: {}",
                    front.rental(),
                    content.decoderResult().cause().toString());
            content.release();
            client.close();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            client.writeAndFlush(content);
        } else {
            client.write(content);
        }
        if (last) {
            answering = false;
            if (closeUpstreamAfter) {
                front.upstreamIdleClosed(this);
                channel.close();
            }
            front.answered(closeAfter);
        }
    }

    private void fail(String why) {
        awaiting = false;
        answering = false;
        cancelTimeout();
        channel.close();
        front.refuse(RouterPage.of(502, "Bad gateway", why));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        client.flush();
        if ((awaiting || answering || upgraded) && client.channel().isWritable()) {
            channel.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (channel.isWritable()) {
            front.upstreamWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        if (upgraded || answering) {
            client.close();
        } else if (awaiting) {
            awaiting = false;
            front.refuse(RouterPage.of(
                    502, "Bad gateway", "The tunnel of " + front.rental() + " closed before the answer came."));
        } else {
            front.upstreamIdleClosed(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("the connection to {} failed: {}", front.rental(), cause.toString());
        ctx.close();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
