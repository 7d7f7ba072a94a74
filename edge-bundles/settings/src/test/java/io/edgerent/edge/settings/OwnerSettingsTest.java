package io.edgerent.edge.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.kura.configuration.ConfigurationService;
import org.junit.jupiter.api.Test;

/** Starting with refused settings: under Kura each refused value falls back to its default; without Kura it fails. */
class OwnerSettingsTest {
    @interface Config {
        String hub_uri() default "coap://127.0.0.1:5683";

        int heartbeat_seconds() default 30;

        long price_per_hour() default 0;
    }

    /** What a component took, and its checks: heartbeat 1..60, price 0 or more. */
    private final List<Config> taken = new ArrayList<>();

    private void apply(Config c) {
        new Refusals("test")
                .within("heartbeat", c.heartbeat_seconds(), 1, 60, "seconds", null)
                .within("price", c.price_per_hour(), 0, Long.MAX_VALUE, "units", null)
                .throwIfAny();
        taken.add(c);
    }

    @Test
    void under_kura_each_refused_value_falls_back_to_its_default_and_the_rest_is_kept_and_written_back() {
        Map<String, Map<String, Object>> writtenBack = new HashMap<>();
        ConfigurationService kura = (pid, properties) -> writtenBack.put(pid, properties);
        new OwnerSettings("p")
                .activate(
                        Map.of("hub.uri", "coaps://hub:5684", "heartbeat.seconds", 0, "price.per.hour", "4242"),
                        kura,
                        Config.class,
                        this::apply);
        Config inForce = taken.get(taken.size() - 1);
        assertEquals("coaps://hub:5684", inForce.hub_uri(), "kept");
        assertEquals(30, inForce.heartbeat_seconds(), "refused: its default");
        assertEquals(4242, inForce.price_per_hour(), "kept, converted from text");
        assertEquals(30, writtenBack.get("p").get("heartbeat.seconds"));
        assertEquals("coaps://hub:5684", writtenBack.get("p").get("hub.uri"));
    }

    @Test
    void without_kura_refused_first_settings_fail_the_start_as_before() {
        Refusals.Refused refused = assertThrows(
                Refusals.Refused.class,
                () -> new OwnerSettings("p")
                        .activate(
                                Map.of("heartbeat.seconds", 0, "price.per.hour", -1L),
                                null,
                                Config.class,
                                this::apply));
        assertEquals(2, refused.problems);
        assertEquals(List.of(), taken);
    }
}
