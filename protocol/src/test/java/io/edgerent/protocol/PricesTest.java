package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PricesTest {
    @Test
    void time_is_billed_by_the_whole_second_rounded_down() {
        Prices p = new Prices(100, 0);
        assertEquals(0, p.forSeconds(35), "35 s of 100/hour is 0.97, rounded down");
        assertEquals(1, p.forSeconds(36));
        assertEquals(100, p.forSeconds(3600));
    }

    @Test
    void egress_is_billed_per_gb_of_ten_to_the_nine_bytes() {
        Prices p = new Prices(0, 50);
        assertEquals(50, p.forBytes(1_000_000_000L));
        assertEquals(0, p.forBytes(19_999_999L));
        assertEquals(1, p.forBytes(20_000_000L));
    }

    @Test
    void the_largest_quantities_at_the_largest_price_do_not_overflow() {
        Prices max = new Prices(Prices.MAX, Prices.MAX);
        assertEquals(Long.MAX_VALUE, max.forBytes(Long.MAX_VALUE), "capped, not wrapped");
        assertEquals(31L * 24 * Prices.MAX, max.forSeconds(31L * 24 * 3600));
    }

    @Test
    void prices_out_of_range_are_malformed() {
        assertThrows(MalformedMessageException.class, () -> new Prices(-1, 0));
        assertThrows(MalformedMessageException.class, () -> new Prices(0, Prices.MAX + 1));
    }
}
