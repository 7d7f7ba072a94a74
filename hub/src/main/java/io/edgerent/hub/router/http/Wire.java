package io.edgerent.hub.router.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * A client connection's bytes below the HTTP codec: on the way in, each request head is scanned for what Netty's
 * decoder would quietly accept (a folded header line, which it unfolds; a NUL) and refused before the decoder sees
 * it; on the way out every byte is counted to the rental the connection serves, so the meter is exact.
 */
final class Wire extends ChannelDuplexHandler {
    private final HttpRouter router;
    private final Front front;
    private ChannelHandlerContext ctx;

    /** Inside a head: from the first byte after an answer up to the empty line that ends the head. */
    private boolean scanning = true;

    /** A refusal is on its way: what the client still sends is read and dropped. */
    private boolean discarding;

    private boolean begun;
    private int lineLength;
    private int lines;

    Wire(HttpRouter router, Front front) {
        this.router = router;
        this.front = front;
    }

    /** The next bytes begin a request head. */
    void expectHead() {
        scanning = true;
        begun = false;
        lineLength = 0;
        lines = 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
        ctx = c;
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (discarding) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf && scanning && !scan(buf)) {
            buf.release();
            return;
        }
        c.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
        String rental = front.rental();
        if (msg instanceof ByteBuf buf && rental != null) {
            router.count(rental, buf.readableBytes());
        }
        c.write(msg, promise);
    }

    /** Scans head bytes; false (and the connection answered and closing) when the head is refused. */
    private boolean scan(ByteBuf buf) {
        if (!begun && buf.isReadable()) {
            begun = true;
            front.headBegun();
        }
        for (int i = buf.readerIndex(); i < buf.writerIndex() && scanning; i++) {
            byte b = buf.getByte(i);
            if (b == 0) {
                refuse(400, "Bad request", "the request head holds a NUL byte");
                return false;
            }
            if (b == '\n') {
                if (lineLength == 0 && lines > 0) {
                    scanning = false; // the end of the head: what follows is body
                } else if (lineLength > 0) {
                    lines++;
                }
                lineLength = 0;
            } else if ((b == ' ' || b == '\t') && lineLength == 0 && lines > 0) {
                refuse(400, "Bad request", "folded header lines are not accepted");
                return false;
            } else if (b != '\r') {
                lineLength++;
            }
        }
        return true;
    }

    /** Answers below the HTTP codec (a head refused before the decoder saw it, or never whole), then closes. */
    void refuse(int status, String title, String text) {
        scanning = false;
        front.refusedBelow();
        closeAfter(ctx.writeAndFlush(
                Unpooled.wrappedBuffer(RouterPage.of(status, title, text).bytes())));
    }

    /** Stops reading requests and closes once the refusal is written, without losing it ({@link #drainThenClose}). */
    void closeAfter(ChannelFuture written) {
        discarding = true;
        drainThenClose(written);
    }

    /**
     * Closes once a refusal is written, without losing it: closing a socket with unread bytes makes the kernel send
     * a reset, which can reach the client before the refusal does (a 431 for a head too large, sent while the client
     * still writes it). So the router stops sending, reads (the caller drops what comes) for up to two seconds, then
     * closes. Over TLS the close is at once (its close_notify says the answer is complete).
     */
    static void drainThenClose(ChannelFuture written) {
        written.addListener((ChannelFutureListener) f -> {
            Channel ch = f.channel();
            if (ch instanceof DuplexChannel duplex && ch.pipeline().get(SslHandler.class) == null && ch.isActive()) {
                duplex.shutdownOutput();
                ch.config().setAutoRead(true);
                ch.eventLoop().schedule(() -> ch.close(), 2, TimeUnit.SECONDS);
            } else {
                ch.close();
            }
        });
    }
}
