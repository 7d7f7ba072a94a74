package io.edgerent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class HubAddressesTest {
    @Test
    void one_hub_or_several_of_one_fleet_separated_by_commas() {
        assertEquals(List.of(URI.create("coaps://hub.example:5684")), Dtls.hubAddresses(" coaps://hub.example:5684 "));
        assertEquals(
                List.of(URI.create("coaps://a.example:5684"), URI.create("coaps://192.0.2.7:5684")),
                Dtls.hubAddresses("coaps://a.example:5684, coaps://192.0.2.7:5684"));
        assertEquals(List.of(URI.create("coap://127.0.0.1:5683")), Dtls.hubAddresses("coap://127.0.0.1:5683"));
    }

    @Test
    void anything_else_is_refused_whole() {
        for (String bad : List.of(
                "",
                "hub.example:5684",
                "coap://hub.example:5683",
                "coaps://",
                "coaps://a:1,,coaps://b:1",
                "coaps://a:1, coap://127.0.0.1:5683",
                "coaps://a:1, coaps://a:1",
                "coaps://a b:1",
                "http://a:1",
                "coaps://a:1,",
                ",coaps://a:1")) {
            assertTrue(Dtls.hubAddresses(bad).isEmpty(), bad);
        }
    }
}
