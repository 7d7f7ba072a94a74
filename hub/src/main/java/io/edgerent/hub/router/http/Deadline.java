package io.edgerent.hub.router.http;

import io.netty.channel.Channel;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** One deadline at a time on a connection's event loop: setting a new one clears the one before. */
final class Deadline {
    private final Channel channel;
    private ScheduledFuture<?> pending;

    Deadline(Channel channel) {
        this.channel = channel;
    }

    void set(long millis, Runnable whenPassed) {
        clear();
        pending = channel.eventLoop().schedule(whenPassed, millis, TimeUnit.MILLISECONDS);
    }

    void clear() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }
}
