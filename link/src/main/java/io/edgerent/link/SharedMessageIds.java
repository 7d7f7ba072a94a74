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
 * notified lately. An ID may go to a peer again only once no exchange can still hold it: after the
 * exchange lifetime, and after a confirmable message's last retransmission has timed out. One counter
 * keeps that for every peer at once as long as fewer IDs than there are go out within that time (65,000
 * in 93 s, about 700 a second). Past that an ID is refused, as Californium's own trackers do when a
 * peer has used up its IDs: the notification is not sent, and the device hears of the change at its
 * next heartbeat. IDs from {@link CoapConfig#MULTICAST_BASE_MID} up are left to multicast, as
 * Californium does: its endpoint ignores an acknowledgement with such an ID.
 */
public final class SharedMessageIds implements MessageIdProvider {
    private static final int GROUP = 1 << 10;

    /** IDs are 0 to {@code ids - 1}. */
    private final int ids;

    private final long holdNanos;
    private final LongSupplier nanoTime;
    /** When each group of {@link #GROUP} IDs was last given out (a time of {@link #nanoTime}); only set once used. */
    private final long[] lastUsed;

    private final boolean[] used;
    private int next;

    public SharedMessageIds(Configuration configuration) {
        this(
                unicastIds(configuration),
                Math.max(
                        configuration.get(CoapConfig.EXCHANGE_LIFETIME, TimeUnit.NANOSECONDS),
                        configuration.get(CoapConfig.MAX_TRANSMIT_WAIT, TimeUnit.NANOSECONDS)),
                System::nanoTime,
                -1);
    }

    /**
     * IDs 0 to {@code ids - 1}, each held back {@code holdNanos} after its group was last used, starting at
     * {@code start} (-1: anywhere). A group entered part way is not entered again until its time has passed.
     */
    SharedMessageIds(int ids, long holdNanos, LongSupplier nanoTime, int start) {
        this.ids = ids;
        this.holdNanos = holdNanos;
        this.nanoTime = nanoTime;
        int groups = (ids + GROUP - 1) / GROUP;
        lastUsed = new long[groups];
        used = new boolean[groups];
        next = start >= 0 ? start : new SecureRandom().nextInt(ids);
    }

    /** How many IDs unicast may use: those below the multicast base, if one is set. */
    static int unicastIds(Configuration configuration) {
        int multicastBase = configuration.get(CoapConfig.MULTICAST_BASE_MID);
        return multicastBase > 0 ? multicastBase : 1 << 16;
    }

    @Override
    public synchronized int getNextMessageId(InetSocketAddress destination) {
        int id = next;
        int group = id / GROUP;
        long now = nanoTime.getAsLong();
        if (id % GROUP == 0 && used[group] && now - lastUsed[group] < holdNanos) {
            throw new IllegalStateException("no CoAP message ID free: all " + ids + " were used within the last "
                    + TimeUnit.NANOSECONDS.toSeconds(holdNanos) + " s");
        }
        used[group] = true;
        lastUsed[group] = now;
        next = (id + 1) % ids;
        return id;
    }
}
