package io.edgerent.hub.account;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down key and password guessing, per key: the source address at the SSH gateway, the address
 * and the account name at web sign-in. Each failed authentication adds one to the key's score, which
 * drains by one every {@link #DRAIN}. The first {@link #FREE} failures cost nothing (a client offering
 * a few keys is normal); after that each failure holds the key off for a while, doubling from 250 ms
 * up to {@link #MAX_DELAY}.
 *
 * <p>The SSH gateway answers such a failure that much later ({@link #failed}), and an address may hold
 * only {@link #MAX_UNAUTHENTICATED} connections that have not logged in yet, so parallel connections do
 * not get around the delay; a success is never delayed. The web pages ask first ({@link #attempt}): a
 * key held off is refused without its password being checked, so no worker thread waits, and an
 * attempt counts as failed from its start, so guesses sent at once are held off by the first.
 */
public final class AuthPenalties {
    static final int FREE = 5;
    static final Duration DRAIN = Duration.ofSeconds(10);
    static final Duration MAX_DELAY = Duration.ofSeconds(8);
    static final int MAX_UNAUTHENTICATED = 10;
    private static final int MAX_TRACKED = 100_000;

    /** The failures not drained at {@code at}, and until when the key is held off. */
    private record Score(double failures, long at, long until) {}

    private final Clock clock;
    private final Map<String, Score> scores = new ConcurrentHashMap<>();
    private final Map<String, Integer> unauthenticated = new ConcurrentHashMap<>();

    public AuthPenalties(Clock clock) {
        this.clock = clock;
    }

    /** Records a failed authentication from {@code address}; answers how long it is held off (SSH: before saying it failed). */
    public Duration failed(String address) {
        long now = clock.millis();
        forgetDrained(now);
        return Duration.ofMillis(
                scores.compute(address, (a, old) -> oneMore(old, now)).until() - now);
    }

    /**
     * An attempt under {@code key} starts: if the key is held off, answers for how long, and nothing
     * changes; else answers zero and counts the attempt as failed until {@link #succeeded}.
     */
    public Duration attempt(String key) {
        long now = clock.millis();
        forgetDrained(now);
        long[] held = {0};
        scores.compute(key, (k, old) -> {
            if (old != null && old.until() > now) {
                held[0] = old.until() - now;
                return old;
            }
            return oneMore(old, now);
        });
        return Duration.ofMillis(held[0]);
    }

    /** The attempt under {@code key} succeeded: its failures are forgotten. */
    public void succeeded(String key) {
        scores.remove(key);
    }

    /** The score after one more failure at {@code now}: held off for its delay. */
    private static Score oneMore(Score old, long now) {
        double failures = (old == null ? 0 : drained(old, now)) + 1;
        return new Score(failures, now, now + delay(failures).toMillis());
    }

    /** Past {@link #MAX_TRACKED} keys, drops those with nothing left to count. */
    private void forgetDrained(long now) {
        if (scores.size() > MAX_TRACKED) {
            scores.entrySet()
                    .removeIf(
                            e -> drained(e.getValue(), now) == 0 && e.getValue().until() <= now);
        }
    }

    private static Duration delay(double failures) {
        int over = (int) Math.ceil(failures) - FREE;
        if (over <= 0) {
            return Duration.ZERO;
        }
        long millis = 250L << Math.min(over - 1, 16);
        return millis >= MAX_DELAY.toMillis() ? MAX_DELAY : Duration.ofMillis(millis);
    }

    /** Whether a new connection from {@code address} may start authenticating; if so it counts until {@link #done}. */
    public boolean admit(String address) {
        boolean[] admitted = {false};
        unauthenticated.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            admitted[0] = count < MAX_UNAUTHENTICATED;
            return admitted[0] ? count + 1 : count;
        });
        return admitted[0];
    }

    /** An admitted connection logged in or closed. */
    public void done(String address) {
        unauthenticated.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    private static double drained(Score score, long now) {
        return Math.max(0, score.failures() - (now - score.at()) / (double) DRAIN.toMillis());
    }
}
