package io.edgerent.edge.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalTime;
import org.junit.jupiter.api.Test;

class AvailabilityTest {
    @Test
    void always_and_empty_mean_every_minute_of_the_day() {
        for (String text : new String[] {"always", "", " Always ", null}) {
            Availability a = Availability.parse(text);
            assertTrue(a.contains(LocalTime.MIDNIGHT) && a.contains(LocalTime.of(23, 59)), String.valueOf(text));
        }
    }

    @Test
    void a_window_includes_its_start_and_excludes_its_end() {
        Availability a = Availability.parse("08:00-18:00");
        assertFalse(a.contains(LocalTime.of(7, 59)));
        assertTrue(a.contains(LocalTime.of(8, 0)));
        assertTrue(a.contains(LocalTime.of(17, 59)));
        assertFalse(a.contains(LocalTime.of(18, 0)));
    }

    @Test
    void windows_may_run_past_midnight_and_be_several() {
        Availability a = Availability.parse("22:00-07:00, 12:00-13:00");
        assertTrue(a.contains(LocalTime.of(23, 0)));
        assertTrue(a.contains(LocalTime.of(3, 0)));
        assertTrue(a.contains(LocalTime.of(12, 30)));
        assertFalse(a.contains(LocalTime.of(7, 0)));
        assertFalse(a.contains(LocalTime.of(15, 0)));
    }

    @Test
    void anything_else_is_refused_with_what_is_expected() {
        for (String bad : new String[] {
            "25:00-26:00", "8-18", "08:00", "08:00-18:00-19:00", "nights", "08:00-08:00", "08:00-18:00,"
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Availability.parse(bad), bad);
            assertTrue(e.getMessage().contains("available hours"), e.getMessage());
        }
    }
}
