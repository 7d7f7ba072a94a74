package io.edgerent.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.protocol.Ed25519;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.observe.ObserveRelation;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.DtlsEndpointContext;
import org.eclipse.californium.elements.EndpointContext;
import org.eclipse.californium.elements.StrictDtlsEndpointContextMatcher;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.util.Bytes;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.junit.jupiter.api.Test;

/** A real DTLS server behind {@link CompactContexts} and a real client on loopback. */
class CompactContextsTest {
    @Test
    void an_observation_keeps_compact_contexts_and_still_gets_its_notifications() throws Exception {
        List<ObserveRelation> relations = new CopyOnWriteArrayList<>();
        String[] state = {"first"};
        CoapResource watched = new CoapResource("watched") {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond(ResponseCode.CONTENT, state[0], MediaTypeRegistry.TEXT_PLAIN);
            }

            @Override
            public void addObserveRelation(ObserveRelation relation) {
                super.addObserveRelation(relation);
                relations.add(relation);
            }
        };
        watched.setObservable(true);
        // Confirmable notifications: their acknowledgement is matched to the exchange by its (compact) context too.
        watched.setObserveType(Type.CON);
        Configuration configuration = Dtls.configuration(DtlsRole.SERVER_ONLY);
        CoapServer server = new CoapServer(configuration);
        server.addEndpoint(new CoapEndpoint.Builder()
                .setConfiguration(configuration)
                .setConnector(new CompactContexts(Dtls.connector(
                        configuration,
                        new InetSocketAddress("127.0.0.1", 0),
                        Ed25519.generate(),
                        StaticNewAdvancedCertificateVerifier.builder()
                                .setTrustAllRPKs()
                                .build(),
                        null)))
                .build());
        server.add(watched);
        server.start();
        KeyPair device = Ed25519.generate();
        String uri =
                "coaps://127.0.0.1:" + server.getEndpoints().get(0).getAddress().getPort();
        CoapClient client = new CoapClient(uri + "/watched")
                .setEndpoint(Dtls.clientEndpoint(URI.create(uri), device, HubKeyCheck.any()));
        try {
            LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
            CoapObserveRelation observation = client.observeAndWait(new CoapHandler() {
                @Override
                public void onLoad(CoapResponse response) {
                    heard.add(response.getResponseText());
                }

                @Override
                public void onError() {
                    heard.add("error");
                }
            });
            assertEquals("first", heard.poll(10, TimeUnit.SECONDS));
            assertFalse(observation.isCanceled());

            ObserveRelation relation = relations.get(0);
            EndpointContext request = relation.getExchange().getRequest().getSourceContext();
            for (EndpointContext kept : List.of(request, relation.getExchange().getEndpointContext())) {
                assertInstanceOf(CompactContexts.Compact.class, kept);
                assertEquals(device.getPublic(), Dtls.peerKey(kept.getPeerIdentity()));
                assertEquals(3, kept.entries().size(), kept.entries().toString());
                assertEquals(1, kept.get(DtlsEndpointContext.KEY_EPOCH));
                assertNotNull(kept.get(DtlsEndpointContext.KEY_SESSION_ID));
            }

            for (String next : List.of("second", "third")) {
                state[0] = next;
                watched.changed();
                assertEquals(next, heard.poll(10, TimeUnit.SECONDS));
            }
            // The client's acknowledgement was matched to the notification (else the server would retransmit, then give
            // up).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!relation.getExchange().getCurrentResponse().isAcknowledged() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(relation.getExchange().getCurrentResponse().isAcknowledged());
            assertEquals(1, watched.getObserverCount());
        } finally {
            client.shutdown();
            server.destroy();
        }
    }

    @Test
    void a_compact_context_matches_its_connection_as_the_full_one_does() {
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 40000);
        RawPublicKeyIdentity identity =
                new RawPublicKeyIdentity(Ed25519.generate().getPublic());
        Bytes session = new Bytes(new byte[] {1, 2, 3, 4});
        String cipher = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
        DtlsEndpointContext connection = new DtlsEndpointContext(peer, null, identity, session, 1, cipher, 1L);
        StrictDtlsEndpointContextMatcher strict = new StrictDtlsEndpointContextMatcher();

        EndpointContext same =
                CompactContexts.compact(new DtlsEndpointContext(peer, null, identity, session, 1, cipher, 2L));
        assertTrue(same.hasCriticalEntries());
        assertTrue(strict.isToBeSent(same, connection));
        assertTrue(strict.isResponseRelatedToRequest(same, connection));
        assertEquals(identity, same.getPeerIdentity());
        assertEquals(peer, same.getPeerAddress());

        // Another session, or a later epoch of it: a response meant for the old one is not sent on the new.
        EndpointContext otherSession = CompactContexts.compact(
                new DtlsEndpointContext(peer, null, identity, new Bytes(new byte[] {9, 9, 9, 9}), 1, cipher, 1L));
        EndpointContext otherEpoch =
                CompactContexts.compact(new DtlsEndpointContext(peer, null, identity, session, 2, cipher, 1L));
        assertFalse(strict.isToBeSent(otherSession, connection));
        assertFalse(strict.isToBeSent(otherEpoch, connection));
        assertFalse(strict.isToBeSent(same, null));
    }
}
