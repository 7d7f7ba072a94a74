package io.edgerent.hub.api.coap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.link.Dtls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a handler's failure becomes a CoAP answer, over real CoAP on loopback: a database that is away is 5.03 Service
 * Unavailable with Max-Age saying when to try again, whether the handler threw it or the group commit it waited for
 * failed with it; any other failure is still 5.00 without the hint.
 */
class ResourcesTest {
    private CoapServer server;
    private CoapEndpoint clientEndpoint;

    @BeforeEach
    void start() {
        server = new CoapServer(Dtls.plainConfiguration());
        server.addEndpoint(new CoapEndpoint.Builder()
                .setConfiguration(Dtls.plainConfiguration())
                .setInetSocketAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .build());
        server.add(new Resources.Handler("away").onPost((payload, peer) -> {
            throw new DatabaseUnavailable("unreachable", null);
        }));
        server.add(new Resources.Handler("committed-away") {
            @Override
            public void handlePOST(org.eclipse.californium.core.server.resources.CoapExchange exchange) {
                Resources.respondWhenDone(exchange, CompletableFuture.supplyAsync(() -> {
                    throw new DatabaseUnavailable("the connection was lost while committing", null);
                }));
            }
        });
        server.add(new Resources.Handler("broken").onPost((payload, peer) -> {
            throw new IllegalStateException("a bug");
        }));
        server.start();
        clientEndpoint = new CoapEndpoint.Builder()
                .setConfiguration(Dtls.plainConfiguration())
                .build();
    }

    @AfterEach
    void stop() {
        server.destroy();
        clientEndpoint.destroy();
    }

    private CoapResponse post(String path) throws Exception {
        int port = server.getEndpoints().get(0).getAddress().getPort();
        CoapClient client = new CoapClient("coap://127.0.0.1:" + port + "/" + path);
        try {
            client.setEndpoint(clientEndpoint);
            CoapResponse r = client.post(new byte[0], 0);
            assertNotNull(r, "an answer to " + path);
            return r;
        } finally {
            client.shutdown();
        }
    }

    @Test
    void a_request_while_the_database_is_away_is_answered_5_03_with_a_max_age_to_retry_after() throws Exception {
        CoapResponse r = post("away");
        assertEquals(ResponseCode.SERVICE_UNAVAILABLE, r.getCode());
        assertEquals(DatabaseUnavailable.RETRY_AFTER_SECONDS, r.getOptions().getMaxAge());
        assertTrue(r.getResponseText().contains("database is unavailable"), r.getResponseText());
    }

    @Test
    void a_group_commit_that_failed_as_unavailable_is_answered_5_03_too() throws Exception {
        CoapResponse r = post("committed-away");
        assertEquals(ResponseCode.SERVICE_UNAVAILABLE, r.getCode());
        assertEquals(DatabaseUnavailable.RETRY_AFTER_SECONDS, r.getOptions().getMaxAge());
    }

    @Test
    void any_other_failure_is_still_5_00_without_a_retry_hint() throws Exception {
        CoapResponse r = post("broken");
        assertEquals(ResponseCode.INTERNAL_SERVER_ERROR, r.getCode());
        assertTrue(!r.getOptions().hasMaxAge(), "no Max-Age on a 5.00");
    }
}
