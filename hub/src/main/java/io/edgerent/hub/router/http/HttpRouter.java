package io.edgerent.hub.router.http;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.protocol.Names;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's HTTP router, on Netty: {@code http://RENTAL.DOMAIN/} (and {@code RENTAL.localhost}) reaches port 80 of
 * that rental's container through its device's second reverse forward; every other host gets the hub's own
 * {@link Pages}. Bodies stream through with backpressure and are never held whole, WebSocket and other upgrades
 * become a plain byte pipe, and the bytes that go out to clients are counted per rental. Connections cost no thread:
 * two event loops serve them all, and blocking work (the database, the pages) runs on a small pool.
 */
public final class HttpRouter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpRouter.class);
    /** All client connections at once; far beyond what idle keep-alives of a busy hub hold. */
    static final int MAX_CONNECTIONS = 20_000;
    /**
     * Connections one client address may hold at once: a flood from one address (slow heads, idle keep-alives) costs
     * that address, not its neighbours.
     */
    static final int MAX_PER_ADDRESS = 64;

    static final int HEAD_TIMEOUT_MILLIS = 10_000;
    static final int IDLE_TIMEOUT_MILLIS = 60_000;
    static final int BODY_STALL_MILLIS = 60_000;
    static final int UPSTREAM_TIMEOUT_MILLIS = 120_000;
    static final int TLS_HANDSHAKE_MILLIS = 10_000;
    static final int MAX_HEAD_BYTES = 32 * 1024;

    final HubConfig config;
    final Services services;
    final Pages pages;
    final Tunnels tunnels;
    private final Supplier<SSLContext> tls;

    private final EventLoopGroup acceptors;
    final Transport transport = Transport.best();
    final EventLoopGroup loops;
    /** Database lookups and pages: blocking work kept off the event loops. */
    final ExecutorService workers;

    private final ScheduledExecutorService meterFlush;
    private final Map<String, LongAdder> bytesOut = new ConcurrentHashMap<>();
    /** Bytes relayed from rentals' web servers and their time to first byte. */
    final HubMetrics metrics;
    /** Open client connections per rental, closed at once when the rental is paused or ends. */
    private final Map<String, Set<Channel>> openByRental = new ConcurrentHashMap<>();

    private final Admission admission = new Admission();
    private Channel plain;
    private Channel secure;

    /** Where a device's tunnel port is reached from this hub: {@code SshGateway#tunnelTarget}. */
    public interface Tunnels {
        int target(String tunnelAt, int tunnelPort) throws IOException;
    }

    public HttpRouter(
            HubConfig config,
            Services services,
            HubMetrics metrics,
            Supplier<SSLContext> tls,
            Tunnels tunnels,
            Pages pages) {
        this.config = config;
        this.metrics = metrics;
        this.services = services;
        this.tls = tls;
        this.tunnels = tunnels;
        this.pages = pages;
        acceptors =
                new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("http-accept", true), transport.handlers());
        loops = new MultiThreadIoEventLoopGroup(
                Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("http", true),
                transport.handlers());
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "http-work-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        meterFlush = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "http-meter");
            t.setDaemon(true);
            return t;
        });
        meterFlush.scheduleWithFixedDelay(this::flushMeter, 2, 2, TimeUnit.SECONDS);
        services.events().onRentalClosed(this::closeConnections);
    }

    public void start() {
        try {
            InetAddress bind = InetAddress.getByName(config.bindAddress());
            plain = listen(new InetSocketAddress(bind, config.httpPort()), false);
            secure = listen(new InetSocketAddress(bind, config.httpsPort()), true);
            LOG.info("HTTP router on ports {} and {} (TLS), on {}", httpPort(), httpsPort(), transport.name());
        } catch (IOException | RuntimeException e) {
            close();
            throw new IllegalStateException(
                    "cannot start the HTTP router on ports " + config.httpPort() + "/" + config.httpsPort() + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private Channel listen(InetSocketAddress address, boolean https) throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, loops)
                .channel(transport.servers())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("admission", admission);
                        if (https) {
                            SSLEngine engine = tls.get().createSSLEngine();
                            engine.setUseClientMode(false);
                            engine.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                            SslHandler ssl = new SslHandler(engine);
                            ssl.setHandshakeTimeoutMillis(TLS_HANDSHAKE_MILLIS);
                            ch.pipeline().addLast("tls", ssl);
                        }
                        Front front = new Front(HttpRouter.this, ch, https);
                        ch.pipeline()
                                .addLast("wire", front.wire())
                                .addLast("http", new HttpServerCodec(decoderConfig()))
                                .addLast("front", front);
                    }
                });
        try {
            return b.bind(address).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + address, e);
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The decoder's limits, for requests from clients and responses from rentals alike. */
    static HttpDecoderConfig decoderConfig() {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(8 * 1024)
                .setMaxHeaderSize(MAX_HEAD_BYTES)
                .setMaxChunkSize(64 * 1024)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false)
                .setValidateHeaders(true);
    }

    public int httpPort() {
        return ((InetSocketAddress) plain.localAddress()).getPort();
    }

    public int httpsPort() {
        return ((InetSocketAddress) secure.localAddress()).getPort();
    }

    @Override
    public void close() {
        for (Channel c : new Channel[] {plain, secure}) {
            if (c != null) {
                c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
        openByRental.keySet().forEach(this::closeConnections);
        acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownNow();
        meterFlush.shutdownNow();
        flushMeter();
    }

    void count(String rental, long n) {
        bytesOut.computeIfAbsent(rental, r -> new LongAdder()).add(n);
        metrics.routerSent(n);
    }

    private void flushMeter() {
        Map<String, Long> batch = new HashMap<>();
        bytesOut.forEach((rental, adder) -> {
            long n = adder.sumThenReset();
            if (n > 0) {
                batch.put(rental, n);
            }
        });
        if (!batch.isEmpty()) {
            try {
                services.access().addHttpBytesOut(batch);
            } catch (RuntimeException e) {
                // Put them back: they are counted at the next flush.
                batch.forEach((rental, n) ->
                        bytesOut.computeIfAbsent(rental, r -> new LongAdder()).add(n));
                if (!(e instanceof DatabaseUnavailable)) { // said once for the whole outage
                    LOG.warn("recording HTTP bytes out failed: {}", e.getMessage());
                }
            }
        }
    }

    void opened(String rental, Channel client) {
        openByRental.computeIfAbsent(rental, k -> ConcurrentHashMap.newKeySet()).add(client);
    }

    void forgot(String rental, Channel client) {
        Set<Channel> open = openByRental.get(rental);
        if (open != null) {
            open.remove(client);
        }
    }

    private void closeConnections(String rental) {
        Set<Channel> open = openByRental.remove(rental);
        if (open != null && !open.isEmpty()) {
            LOG.info("closing {} HTTP connection(s) of {}: it no longer serves", open.size(), rental);
            open.forEach(Channel::close);
        }
    }

    /** The rental a Host header names, if it names one under this hub's domain or under localhost. */
    Optional<String> rentalOf(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String name = hostName(host);
        for (String domain : new String[] {config.domain(), "localhost"}) {
            if (name.endsWith("." + domain)) {
                String label = name.substring(0, name.length() - domain.length() - 1);
                return Names.isRentalName(label) ? Optional.of(label) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Whether a Host header names something under the rentals' domain (or localhost's) that is not the domain itself. */
    boolean isUnderRentalDomain(String host) {
        if (host == null) {
            return false;
        }
        String name = hostName(host);
        return name.endsWith("." + config.domain()) || name.endsWith(".localhost");
    }

    /** A Host header's name: lower case, without its port and final dot. */
    private static String hostName(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        int colon = name.lastIndexOf(':');
        if (colon >= 0 && name.indexOf(']') < colon) {
            name = name.substring(0, colon);
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }

    /**
     * Who a connection's limit is counted against: its IPv4 address, or the /64 its IPv6 address lies in (one
     * subscriber's network gets a /64 or more, so counting each of its 2^64 addresses alone would be no limit at all).
     * An IPv4 address mapped into IPv6 counts as the IPv4 address.
     */
    static InetAddress client(InetAddress address) {
        if (!(address instanceof java.net.Inet6Address)) {
            return address;
        }
        byte[] prefix = address.getAddress();
        java.util.Arrays.fill(prefix, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(prefix);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Counts connections per client address and in all. Beyond a limit a plain client hears why, in bytes written
     * before any HTTP is read; a TLS client is closed before its handshake.
     */
    @ChannelHandler.Sharable
    private final class Admission extends ChannelInboundHandlerAdapter {
        private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("edgerent.refused");

        private final Map<InetAddress, Integer> byAddress = new ConcurrentHashMap<>();
        private final AtomicInteger all = new AtomicInteger();

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            InetAddress from = client(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
            int total = all.incrementAndGet();
            if (byAddress.merge(from, 1, Integer::sum) > MAX_PER_ADDRESS || total > MAX_CONNECTIONS) {
                boolean https = ctx.pipeline().get(SslHandler.class) != null;
                if (https) {
                    ctx.close();
                } else {
                    // As for every refusal, what the client already sent is read and dropped before the close, so
                    // the kernel does not answer it with a reset that could overtake the 503 (Wire.drainThenClose).
                    ctx.channel().attr(REFUSED).set(Boolean.TRUE);
                    Wire.drainThenClose(ctx.writeAndFlush(Unpooled.wrappedBuffer(RouterPage.of(
                                    503, "Too busy", "The hub serves as many connections as it can; try again shortly.")
                            .bytes())));
                }
                return;
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (ctx.channel().hasAttr(REFUSED)) {
                ReferenceCountUtil.release(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            InetAddress from = client(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
            all.decrementAndGet();
            byAddress.computeIfPresent(from, (a, open) -> open <= 1 ? null : open - 1);
            super.channelInactive(ctx);
        }
    }
}
