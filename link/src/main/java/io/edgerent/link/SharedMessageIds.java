package io.edgerent.link;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.MessageIdProvider;
import org.eclipse.californium.elements.config.Configuration;

/**
 * Message IDs for a server's own messages (its notifications; a response takes its request's ID) from
 * one counter for all peers. Californium keeps a tracker per peer it sent to (a table of 16 leases and a
 * cache entry, about 250 bytes) for ten minutes after the last message; on a hub, that is every device
 * notified lately. An ID may go to a peer again only after the exchange lifetime, and one counter keeps
 * that for every peer at once as long as fewer than 65,536 messages go out within the lifetime (60 s,
 * over a thousand a second). Past that an ID is refused, as Californium's own trackers do when a peer
 * has used up its IDs: the message is not sent, and a device reads the change at its next heartbeat.
 */
public final class SharedMessageIds implements MessageIdProvider {
    private static final int IDS = 1 << 16;
    private static final int GROUP = 1 << 10;

    private final long lifetimeNanos;
    private final LongSupplier nanoTime;
    /** When each group of {@link #GROUP} IDs was last given out (a time of {@link #nanoTime}); only set once used. */
    private final long[] lastUsed = new long[IDS / GROUP];
    private final boolean[] used = new boolean[IDS / GROUP];
    private int next;

    public SharedMessageIds(Configuration configuration) {
        this(configuration.get(CoapConfig.EXCHANGE_LIFETIME, TimeUnit.NANOSECONDS), System::nanoTime, new SecureRandom().nextInt(IDS));
    }

    /** Starting at ID {@code start}: a group entered part way is not entered again until its lifetime has passed. */
    SharedMessageIds(long lifetimeNanos, LongSupplier nanoTime, int start) {
        this.lifetimeNanos = lifetimeNanos;
        this.nanoTime = nanoTime;
        next = start;
    }

    @Override
    public synchronized int getNextMessageId(InetSocketAddress destination) {
        int id = next;
        int group = id / GROUP;
        long now = nanoTime.getAsLong();
        if (id % GROUP == 0 && used[group] && now - lastUsed[group] < lifetimeNanos) {
            throw new IllegalStateException("no CoAP message ID free: all 65,536 were used within the exchange lifetime of "
                    + TimeUnit.NANOSECONDS.toSeconds(lifetimeNanos) + " s");
        }
        used[group] = true;
        lastUsed[group] = now;
        next = (id + 1) % IDS;
        return id;
    }
}
