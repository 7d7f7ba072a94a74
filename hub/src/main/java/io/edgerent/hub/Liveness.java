package io.edgerent.hub;

import io.edgerent.protocol.Heartbeat;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What most heartbeats change, kept in memory and written in batches: that the device is alive, its
 * online time today, and the time billed to the rental it serves. A heartbeat that repeats the last
 * one stored (same state, rental, prices, listing) and leaves the payment rules nothing to do is
 * answered from here, without the database; every other heartbeat takes the full path
 * ({@link Registry#heartbeat}), which stores it and leaves here what the next ones may repeat.
 *
 * <p>Each write is conditional on the row still holding what this hub last stored or read (its last
 * seen time, its metering time, its assignment version). Whatever changed it since (this hub's full
 * path, another hub on the same database, a pause, a settlement) billed the same span from the same
 * starting point, or stopped the billing, so the time kept here is dropped rather than counted twice,
 * and the device's next heartbeat takes the full path again. A crash loses what was not yet written
 * (at most {@link #WRITE_EVERY_MS}); the device's next heartbeat bills that span anyway when it comes
 * within the offline limit, as it is measured from the time last stored.
 */
final class Liveness {
    /** How often the hub writes what heartbeats changed. */
    static final long WRITE_EVERY_MS = 1000;

    /** What a repeated heartbeat of a device may skip the database for, and what it changed since stored. */
    private static final class Steady {
        final String deviceId;
        final Heartbeat heartbeat;
        final long day;
        final long assignmentVersion;
        final byte[] answer;
        /** The rental metered, or null when the device serves none. */
        final String rental;

        // Under this object's lock: the channel as last read, the last heartbeat, the one stored, and what lies between.
        Channels.Channel channel;
        long seen;
        long storedSeen;
        /** The channel's metering time as stored. */
        long storedUntil;
        long unstoredOnline;
        long unstoredBilled;
        /** Billed since {@link #channel} was read, stored or not: what the payment rules are checked against. */
        long billedSinceRead;
        boolean dropped;

        Steady(String deviceId, Heartbeat heartbeat, long day, long assignmentVersion, byte[] answer, Channels.Channel channel,
                long seen) {
            this.deviceId = deviceId;
            this.heartbeat = heartbeat;
            this.day = day;
            this.assignmentVersion = assignmentVersion;
            this.answer = answer;
            this.rental = channel == null ? null : channel.rental();
            this.channel = channel;
            this.seen = seen;
            this.storedSeen = seen;
            this.storedUntil = channel == null || channel.meteredUntil() == null ? 0 : channel.meteredUntil();
        }
    }

    /** What one write takes of a device's heartbeats, to subtract once it is durable. */
    private record Taken(Steady steady, long storedSeen, long storedUntil, long seen, long online, long billed) {}

    private final Sql sql;
    private final Channels channels;
    private final long offlineAfterMs;
    private final Map<String, Steady> steady = new ConcurrentHashMap<>();

    Liveness(Sql sql, Channels channels, long offlineAfterMs) {
        this.sql = sql;
        this.channels = channels;
        this.offlineAfterMs = offlineAfterMs;
    }

    /**
     * Remembers a heartbeat the full path just stored, at {@code seen}, that the next ones may repeat:
     * called once its transaction committed. {@code channel} is the rental's channel as metered then.
     */
    void stored(String deviceId, Heartbeat heartbeat, long day, long assignmentVersion, byte[] answer, Channels.Channel channel,
            long seen) {
        Steady old = steady.put(deviceId, new Steady(deviceId, heartbeat, day, assignmentVersion, answer, channel, seen));
        if (old != null) {
            dropped(old);
        }
    }

    /** Forgets what a device's heartbeats may repeat: its assignment changed, or the full path ran. */
    void forget(String deviceId) {
        Steady old = steady.remove(deviceId);
        if (old != null) {
            dropped(old);
        }
    }

    /**
     * Takes the channel as a voucher or a usage report just left it (committed, the payment rules quiet),
     * so that what the renter paid and the device sent out since counts for the repeated heartbeats.
     */
    void refresh(Channels.Channel c) {
        Steady s = steady.get(c.deviceId());
        if (s != null && c.rental().equals(s.rental)) {
            synchronized (s) {
                // The channel read holds every write committed before it, so only what is not written is added to it.
                s.channel = c;
                s.billedSinceRead = s.unstoredBilled;
            }
        }
    }

    private static void dropped(Steady s) {
        synchronized (s) {
            s.dropped = true;
        }
    }

    /**
     * The answer to a heartbeat that repeats the one stored, counted in memory; null when it must take
     * the full path: it changes something, it is the first in a while or of a new day, or the payment
     * rules would have something to do.
     */
    byte[] repeat(String deviceId, Heartbeat heartbeat, long now) {
        Steady s = steady.get(deviceId);
        if (s == null || !s.heartbeat.equals(heartbeat) || Math.floorDiv(now, Registry.DAY_MILLIS) != s.day) {
            return null;
        }
        synchronized (s) {
            long gap = now - s.seen;
            if (s.dropped || gap <= 0 || gap > offlineAfterMs) {
                return null;
            }
            if (s.rental != null) {
                if (!channels.quietAfter(s.channel, s.billedSinceRead + gap)) {
                    return null;
                }
                s.billedSinceRead += gap;
                s.unstoredBilled += gap;
            }
            s.unstoredOnline += gap;
            s.seen = now;
            return s.answer;
        }
    }

    /**
     * Writes what heartbeats changed since the last write, in the caller's transaction; returns the
     * devices written. A row changed since (see the class comment) keeps its own account, and the
     * device's next heartbeat takes the full path.
     */
    int write() throws SQLException {
        List<Taken> taken = new ArrayList<>();
        for (Steady s : steady.values()) {
            synchronized (s) {
                if (!s.dropped && s.seen != s.storedSeen) {
                    taken.add(new Taken(s, s.storedSeen, s.storedUntil, s.seen, s.unstoredOnline, s.unstoredBilled));
                }
            }
        }
        if (taken.isEmpty()) {
            return 0;
        }
        List<Object[]> devices = new ArrayList<>(taken.size());
        List<Object[]> metered = new ArrayList<>();
        List<Taken> meteredTaken = new ArrayList<>();
        for (Taken t : taken) {
            Steady s = t.steady();
            devices.add(new Object[] {t.seen(), t.online(), s.deviceId, t.storedSeen(), s.day, s.assignmentVersion});
            if (s.rental != null) {
                metered.add(new Object[] {t.billed(), t.seen(), s.rental, t.storedUntil(), Channels.OPEN});
                meteredTaken.add(t);
            }
        }
        int[] deviceRows = sql.batch("UPDATE device SET last_seen = ?, online_day_ms = online_day_ms + ? WHERE id = ?"
                + " AND last_seen = ? AND online_day = ? AND assignment_version = ?", devices);
        int[] channelRows = sql.batch(METER_UNCHANGED, metered);
        List<Steady> stale = new ArrayList<>();
        for (int i = 0; i < meteredTaken.size(); i++) {
            if (channelRows[i] != 1) {
                stale.add(meteredTaken.get(i).steady());
            }
        }
        for (int i = 0; i < taken.size(); i++) {
            if (deviceRows[i] != 1) {
                stale.add(taken.get(i).steady());
            }
        }
        sql.afterCommit(() -> {
            for (Taken t : taken) {
                Steady s = t.steady();
                synchronized (s) {
                    s.storedSeen = t.seen();
                    s.storedUntil = t.seen();
                    s.unstoredOnline -= t.online();
                    s.unstoredBilled -= t.billed();
                }
            }
            for (Steady s : stale) {
                if (steady.remove(s.deviceId, s)) {
                    dropped(s);
                }
            }
        });
        return taken.size();
    }

    /** Bills a channel from where this hub last stored its metering, unless anything changed it since. */
    private static final String METER_UNCHANGED = "UPDATE channel SET billed_ms = billed_ms + ?, metered_until = ? WHERE rental = ?"
            + " AND metered_until = ? AND state = ? AND paused_since IS NULL";

    /**
     * Bills {@code rental}'s channel, in the caller's transaction, what its device's heartbeats counted
     * in memory: settlement reads the billed time next. Nothing here changes until the transaction
     * commits; the rental's end then makes this hub forget the device's steady heartbeat.
     */
    void billUnstored(String deviceId, String rental) throws SQLException {
        Steady s = steady.get(deviceId);
        if (s == null || !rental.equals(s.rental)) {
            return;
        }
        long billed;
        long storedUntil;
        long seen;
        synchronized (s) {
            if (s.dropped || s.unstoredBilled == 0) {
                return;
            }
            billed = s.unstoredBilled;
            storedUntil = s.storedUntil;
            seen = s.seen;
        }
        sql.update(METER_UNCHANGED, billed, seen, rental, storedUntil, Channels.OPEN);
    }
}
