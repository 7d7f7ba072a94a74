package io.edgerent.hub.observability;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} (Prometheus text format 0.0.4) and {@code GET /health} (JSON; 200 when the
 * database answers, 503 when not), on their own port, loopback by default: they tell the fleet's size.
 * One event loop takes the connections; the answers, which read the database, are made on one worker.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    /** What /health reports: whether the hub can serve, and a few facts to go with it. */
    public record Health(boolean up, String json) {}

    private record Answer(int status, String type, String body) {}

    private final InetSocketAddress address;
    private final Supplier<String> metrics;
    private final Supplier<Health> health;
    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("metrics-http", true), NioIoHandler.newFactory());
    private final ExecutorService worker =
            Executors.newSingleThreadExecutor(new DefaultThreadFactory("metrics-answer", true));
    private Channel server;

    public MetricsServer(InetSocketAddress address, Supplier<String> metrics, Supplier<Health> health) {
        this.address = address;
        this.metrics = metrics;
        this.health = health;
    }

    public void start() {
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(30))
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(4096))
                                .addLast(new Handler());
                    }
                });
        try {
            server = b.bind(address).sync().channel();
        } catch (Exception e) {
            close();
            throw new UncheckedIOException(
                    "cannot listen for /metrics on " + address + " (is another hub running there?)",
                    new java.io.IOException(e.getMessage(), e));
        }
        LOG.info("metrics at http://{}:{}/metrics, health at /health", address.getHostString(), port());
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            HttpMethod method = request.method();
            String path = new QueryStringDecoder(request.uri()).path();
            boolean head = method.equals(HttpMethod.HEAD);
            boolean keepAlive =
                    HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            if (request.decoderResult().isFailure()) {
                send(ctx, new Answer(400, "text/plain", "not HTTP/1.1\n"), head, false);
            } else if (!method.equals(HttpMethod.GET) && !head) {
                send(ctx, new Answer(405, "text/plain", "only GET\n"), head, keepAlive);
            } else if (!path.equals("/metrics") && !path.equals("/health")) {
                send(ctx, new Answer(404, "text/plain", "this port serves /metrics and /health\n"), head, keepAlive);
            } else {
                worker.execute(() -> {
                    Answer a;
                    try {
                        if (path.equals("/metrics")) {
                            a = new Answer(200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
                        } else {
                            Health h = health.get();
                            a = new Answer(h.up() ? 200 : 503, "application/json", h.json());
                        }
                    } catch (RuntimeException e) {
                        LOG.error("{} failed", path, e);
                        a = new Answer(503, "text/plain", "the hub could not say: " + e.getMessage() + "\n");
                    }
                    Answer done = a;
                    ctx.executor().execute(() -> send(ctx, done, head, keepAlive));
                });
            }
        }

        private void send(ChannelHandlerContext ctx, Answer a, boolean head, boolean keepAlive) {
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(a.status()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, a.type()).set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (a.status() == 405) {
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            }
            if (!keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, "close");
            }
            var written = ctx.writeAndFlush(r);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("metrics connection: {}", cause.toString());
            ctx.close();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        worker.shutdownNow();
    }
}
