package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeartbeatTest {
    @Test
    void a_region_is_what_an_owner_writes_and_nothing_else() {
        for (String ok : new String[] {"", "Zürich (CH)", "São Paulo, BR", "eu-west_1", "x".repeat(40)}) {
            assertTrue(Names.isRegion(ok), ok);
        }
        for (String bad : new String[] {null, "x".repeat(41), "<script>", "a\nb", "Berlin; DROP", "tab\there"}) {
            assertFalse(Names.isRegion(bad), String.valueOf(bad));
        }
    }

    @Test
    void a_heartbeat_round_trips_and_one_with_a_bad_region_is_refused_as_malformed() {
        Heartbeat sent = new Heartbeat(
                DeviceState.LISTED, null, new Prices(3600, 5), true, EnumSet.of(Template.WEB), "Lyon (FR)");
        Heartbeat read = Heartbeat.decode(sent.encode());
        assertEquals("Lyon (FR)", read.region());
        assertEquals(sent.templates(), read.templates());
        assertEquals(sent.prices(), read.prices());

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", "LISTED");
        m.put("prices", new Prices(1, 1).toCbor());
        m.put("region", "<b>here</b>");
        MalformedMessageException refused =
                assertThrows(MalformedMessageException.class, () -> Heartbeat.decode(Cbor.encode(m)));
        assertTrue(refused.getMessage().contains("is not a region"), refused.getMessage());
    }
}
