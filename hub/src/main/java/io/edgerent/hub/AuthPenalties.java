package io.edgerent.hub;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down key guessing at the SSH gateway, per source address. Each failed authentication adds
 * one to the address's score, which drains by one every {@link #DRAIN}. The first {@link #FREE}
 * failures are answered at once (a client offering a few keys is normal); after that each failure
 * is answered later, doubling from 250 ms up to {@link #MAX_DELAY}. Successes are never delayed. An
 * address may also hold only {@link #MAX_UNAUTHENTICATED} connections that have not logged in yet,
 * so parallel connections do not get around the delay.
 */
final class AuthPenalties {
    static final int FREE = 5;
    static final Duration DRAIN = Duration.ofSeconds(10);
    static final Duration MAX_DELAY = Duration.ofSeconds(8);
    static final int MAX_UNAUTHENTICATED = 10;
    private static final int MAX_TRACKED = 100_000;

    private record Score(double failures, long at) {}

    private final Clock clock;
    private final Map<String, Score> scores = new ConcurrentHashMap<>();
    private final Map<String, Integer> unauthenticated = new ConcurrentHashMap<>();

    AuthPenalties(Clock clock) {
        this.clock = clock;
    }

    /** Records a failed authentication from {@code address}; answers how long to wait before saying it failed. */
    Duration failed(String address) {
        long now = clock.millis();
        if (scores.size() > MAX_TRACKED) {
            scores.entrySet().removeIf(e -> drained(e.getValue(), now) == 0);
        }
        Score score = scores.compute(address, (a, old) -> new Score((old == null ? 0 : drained(old, now)) + 1, now));
        int over = (int) Math.ceil(score.failures()) - FREE;
        if (over <= 0) {
            return Duration.ZERO;
        }
        long millis = 250L << Math.min(over - 1, 16);
        return millis >= MAX_DELAY.toMillis() ? MAX_DELAY : Duration.ofMillis(millis);
    }

    /** Whether a new connection from {@code address} may start authenticating; if so it counts until {@link #done}. */
    boolean admit(String address) {
        boolean[] admitted = {false};
        unauthenticated.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            admitted[0] = count < MAX_UNAUTHENTICATED;
            return admitted[0] ? count + 1 : count;
        });
        return admitted[0];
    }

    /** An admitted connection logged in or closed. */
    void done(String address) {
        unauthenticated.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    private static double drained(Score score, long now) {
        return Math.max(0, score.failures() - (now - score.at()) / (double) DRAIN.toMillis());
    }
}
