package io.edgerent.edge.agent;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The hours of the day an owner offers the device for new rentals, in the device's local time:
 * "always", or windows such as "08:00-18:00" or "22:00-07:00,12:00-13:00" (a window may run past
 * midnight). A rental that runs when a window closes goes on; the device is only not offered anew.
 */
record Availability(String text, List<Window> windows) {
    static final Availability ALWAYS = new Availability("always", List.of());

    record Window(LocalTime from, LocalTime to) {
        boolean contains(LocalTime t) {
            return from.isBefore(to) ? !t.isBefore(from) && t.isBefore(to) : !t.isBefore(from) || t.isBefore(to);
        }
    }

    /** Parses the owner's text; throws IllegalArgumentException saying what is wrong and what is expected. */
    static Availability parse(String text) {
        String trimmed = text == null ? "" : text.strip();
        if (trimmed.isEmpty() || trimmed.equalsIgnoreCase("always")) {
            return ALWAYS;
        }
        List<Window> windows = new ArrayList<>();
        for (String part : trimmed.split(",", -1)) {
            String[] ends = part.strip().split("-", -1);
            if (ends.length != 2) {
                throw bad(text);
            }
            try {
                Window w = new Window(LocalTime.parse(ends[0].strip()), LocalTime.parse(ends[1].strip()));
                if (w.from().equals(w.to())) {
                    throw new IllegalArgumentException("available hours: the window " + part.strip() + " is empty");
                }
                windows.add(w);
            } catch (DateTimeParseException e) {
                throw bad(text);
            }
        }
        return new Availability(trimmed, List.copyOf(windows));
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("available hours must be 'always' or windows like 08:00-18:00 or"
                + " 22:00-07:00,12:00-13:00 (24-hour clock, this device's time zone), got '" + text + "'");
    }

    boolean contains(LocalTime t) {
        return windows.isEmpty() || windows.stream().anyMatch(w -> w.contains(t));
    }
}
