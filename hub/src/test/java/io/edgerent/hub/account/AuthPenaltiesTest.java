package io.edgerent.hub.account;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AuthPenaltiesTest {
    private final MutableClock clock = new MutableClock();
    private final AuthPenalties penalties = new AuthPenalties(clock);

    @Test
    void five_failures_are_free_then_each_waits_twice_as_long_up_to_eight_seconds() {
        for (int i = 0; i < AuthPenalties.FREE; i++) {
            assertEquals(Duration.ZERO, penalties.failed("192.0.2.1"));
        }
        long[] expected = {250, 500, 1000, 2000, 4000, 8000, 8000};
        for (long millis : expected) {
            assertEquals(Duration.ofMillis(millis), penalties.failed("192.0.2.1"));
        }
        assertEquals(Duration.ZERO, penalties.failed("192.0.2.2"), "another address starts fresh");
    }

    @Test
    void an_attempt_counts_as_failed_from_its_start_and_a_held_off_key_is_refused_unchanged() {
        for (int i = 0; i < AuthPenalties.FREE; i++) {
            assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 alice"), "free");
        }
        assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 alice"), "the 6th may go, and holds off what follows");
        assertEquals(Duration.ofMillis(250), penalties.attempt("192.0.2.1 alice"), "one sent at once is refused");
        clock.advance(Duration.ofMillis(200));
        assertEquals(Duration.ofMillis(50), penalties.attempt("192.0.2.1 alice"), "refusals do not lengthen the hold");
        assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 bob"), "another account from the same address");
        clock.advance(Duration.ofMillis(50));
        assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 alice"), "the 7th, after the hold");
        assertEquals(Duration.ofMillis(500), penalties.attempt("192.0.2.1 alice"));
        clock.advance(Duration.ofMillis(500));
        assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 alice"));
        penalties.succeeded("192.0.2.1 alice");
        assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 alice"), "a success forgets the failures");
        assertEquals(Duration.ZERO, penalties.attempt("192.0.2.1 alice"));
    }

    @Test
    void the_score_drains_one_failure_per_ten_seconds() {
        for (int i = 0; i < 8; i++) {
            penalties.failed("192.0.2.1");
        }
        clock.advance(Duration.ofSeconds(60)); // 8 - 6 = 2, so the next one is the 3rd: free
        assertEquals(Duration.ZERO, penalties.failed("192.0.2.1"));
        clock.advance(Duration.ofMinutes(10));
        assertEquals(Duration.ZERO, penalties.failed("192.0.2.1"));
    }

    @Test
    void an_address_holds_at_most_ten_unauthenticated_connections() {
        for (int i = 0; i < AuthPenalties.MAX_UNAUTHENTICATED; i++) {
            assertTrue(penalties.admit("192.0.2.1"));
        }
        assertFalse(penalties.admit("192.0.2.1"));
        assertTrue(penalties.admit("192.0.2.2"));
        penalties.done("192.0.2.1");
        assertTrue(penalties.admit("192.0.2.1"), "a finished connection frees its place");
    }
}
