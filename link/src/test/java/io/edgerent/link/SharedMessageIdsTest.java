package io.edgerent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.junit.jupiter.api.Test;

class SharedMessageIdsTest {
    private static final long HOLD = TimeUnit.SECONDS.toNanos(93);
    private final AtomicLong now = new AtomicLong(TimeUnit.DAYS.toNanos(3));

    @Test
    void the_hubs_ids_stay_below_the_multicast_base_which_its_endpoint_ignores_in_acknowledgements() {
        assertEquals(65_000, SharedMessageIds.unicastIds(Dtls.configuration(DtlsRole.SERVER_ONLY)));
        SharedMessageIds ids = new SharedMessageIds(Dtls.configuration(DtlsRole.SERVER_ONLY));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 63_000; i++) { // from anywhere in a group, at least 65,000 - 1,023 come before a refusal
            int id = ids.getNextMessageId(null);
            assertTrue(id >= 0 && id < 65_000, "a unicast CoAP message ID: " + id);
            assertTrue(seen.add(id), "id " + id + " given twice");
        }
    }

    @Test
    void every_id_goes_out_once_before_any_goes_out_again_whoever_it_is_for() {
        SharedMessageIds ids = new SharedMessageIds(65_000, HOLD, now::get, 0);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 65_000; i++) {
            int id = ids.getNextMessageId(new InetSocketAddress("127.0.0.1", 1 + i % 3));
            assertTrue(id >= 0 && id < 65_000, "a CoAP message ID: " + id);
            assertTrue(seen.add(id), "id " + id + " given twice");
            now.addAndGet(1_000);
        }
    }

    @Test
    void an_id_comes_back_only_once_no_exchange_can_hold_it() {
        InetSocketAddress device = new InetSocketAddress("127.0.0.1", 5684);
        SharedMessageIds ids = new SharedMessageIds(65_000, HOLD, now::get, 0);
        for (int i = 0; i < 65_000; i++) {
            ids.getNextMessageId(device);
        }
        // All within a second: the next would repeat an ID the device, or a retransmission, may still hold.
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ids.getNextMessageId(device));
        assertTrue(refused.getMessage().contains("all 65000 were used within the last 93 s"), refused.getMessage());
        now.addAndGet(HOLD - 1);
        assertThrows(IllegalStateException.class, () -> ids.getNextMessageId(device), "refused to the end of the hold");
        now.addAndGet(1);
        assertEquals(0, ids.getNextMessageId(device), "given again once the hold has passed");
    }

    @Test
    void a_start_part_way_into_a_group_holds_the_whole_group_back() {
        SharedMessageIds ids = new SharedMessageIds(65_000, HOLD, now::get, 1_500);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 65_000 - 476; i++) {
            assertTrue(seen.add(ids.getNextMessageId(null)));
        }
        // IDs 1,024 to 1,499 were never given, yet their group is in use since the start: held back with it.
        assertThrows(IllegalStateException.class, () -> ids.getNextMessageId(null));
        now.addAndGet(HOLD);
        assertEquals(1_024, ids.getNextMessageId(null));
    }
}
