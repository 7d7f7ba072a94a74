package io.edgerent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SharedMessageIdsTest {
    private static final long LIFETIME = TimeUnit.SECONDS.toNanos(60);
    private final AtomicLong now = new AtomicLong(TimeUnit.DAYS.toNanos(3));

    @Test
    void every_id_goes_out_once_before_any_goes_out_again_whoever_it_is_for() {
        SharedMessageIds ids = new SharedMessageIds(LIFETIME, now::get, 0);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 65_536; i++) {
            int id = ids.getNextMessageId(new InetSocketAddress("127.0.0.1", 1 + i % 3));
            assertTrue(id >= 0 && id < 65_536, "a CoAP message ID: " + id);
            assertTrue(seen.add(id), "id " + id + " given twice");
            now.addAndGet(1_000);
        }
    }

    @Test
    void an_id_comes_back_only_after_the_exchange_lifetime() {
        InetSocketAddress device = new InetSocketAddress("127.0.0.1", 5684);
        SharedMessageIds ids = new SharedMessageIds(LIFETIME, now::get, 0);
        for (int i = 0; i < 65_536; i++) {
            ids.getNextMessageId(device);
        }
        // All 65,536 within a second: the next would repeat an ID the device may still remember.
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ids.getNextMessageId(device));
        assertTrue(refused.getMessage().contains("exchange lifetime of 60 s"), refused.getMessage());
        now.addAndGet(LIFETIME - 1);
        assertThrows(IllegalStateException.class, () -> ids.getNextMessageId(device), "refused to the end of the lifetime");
        now.addAndGet(1);
        assertEquals(0, ids.getNextMessageId(device), "given again once the lifetime has passed");
    }

    @Test
    void a_start_part_way_into_a_group_holds_the_whole_group_back() {
        SharedMessageIds ids = new SharedMessageIds(LIFETIME, now::get, 1_500);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 65_536 - 476; i++) {
            assertTrue(seen.add(ids.getNextMessageId(null)));
        }
        // IDs 1,024 to 1,499 were never given, yet their group is in use since the start: held back with it.
        assertThrows(IllegalStateException.class, () -> ids.getNextMessageId(null));
        now.addAndGet(LIFETIME);
        assertEquals(1_024, ids.getNextMessageId(null));
    }
}
