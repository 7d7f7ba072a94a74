package io.edgerent.edge.containers.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** An owner names public resolvers for rentals; the home router and every other private address are refused. */
class ResolversTest {
    @Test
    void public_resolvers_are_taken_as_written() {
        assertEquals(List.of("9.9.9.9", "1.1.1.1"), Resolvers.parse(Resolvers.DEFAULT));
        assertEquals(List.of("2620:fe:0:0:0:0:0:fe"), Resolvers.parse(" 2620:fe::fe "));
    }

    @Test
    void a_resolver_that_could_answer_for_the_owners_network_is_refused() {
        for (String lan : List.of(
                "192.168.1.1",
                "10.0.0.1",
                "172.16.5.4",
                "100.64.0.1",
                "127.0.0.53",
                "169.254.1.1",
                "0.0.0.0",
                "::1",
                "fe80::1",
                "fd00::53",
                "9.9.9.9,192.168.1.1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Resolvers.parse(lan), lan);
            assertTrue(e.getMessage().contains("not a public address"), lan + ": " + e.getMessage());
        }
    }

    @Test
    void names_empty_lists_and_long_lists_are_refused_without_a_lookup() {
        for (String bad : List.of("dns.google", "", " , ", "1.1.1.1,8.8.8.8,9.9.9.9,8.8.4.4", "1.1.1")) {
            assertThrows(IllegalArgumentException.class, () -> Resolvers.parse(bad), bad);
        }
    }
}
