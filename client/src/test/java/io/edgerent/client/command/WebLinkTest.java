package io.edgerent.client.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.client.HubClient;
import org.junit.jupiter.api.Test;

/** Sign-in and invitation links: HTTPS for a hub elsewhere, plain HTTP only on this machine, none without HTTPS. */
class WebLinkTest {
    @Test
    void a_link_goes_over_https_unless_the_hub_is_on_this_machine_and_none_is_made_without_https() {
        assertEquals(
                "https://hub.example:8443/signin/key/abc",
                WebCommand.link("hub.example", 8080, 8443, "/signin/key/abc"));
        assertEquals(
                "https://hub.example/signup?invite=x", WebCommand.link("hub.example", 80, 443, "/signup?invite=x"));
        assertEquals(
                "http://127.0.0.1:8080/signin/key/abc", WebCommand.link("127.0.0.1", 8080, 8443, "/signin/key/abc"));
        HubClient.HubRefusedException plain = assertThrows(
                HubClient.HubRefusedException.class, () -> WebCommand.link("hub.example", 8080, 0, "/signin/key/abc"));
        assertTrue(plain.getMessage().contains("without HTTPS"), plain.getMessage());
    }
}
