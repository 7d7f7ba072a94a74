package io.edgerent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.link.Dtls;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentalView;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The payer against a hub on loopback whose answers the test scripts (a real Californium server; the hub's rules are
 * not what is tested here, only how the payer reads failures of the moment and refusals).
 */
class PayerTest {
    private static final String RENTAL = "r-0123456789ab";
    /** Rented just now at up to 3600 per hour, with an egress cap of 1 GB. */
    private static final RentalTerms TERMS = new RentalTerms(System.currentTimeMillis(), 3600, 1_000_000_000L);

    private CoapServer server;

    /** A hub whose {@code rentals/channel} answers with {@code answers} in turn, the last one from then on. */
    private URI hubAnswering(List<ResponseCode> answers, AtomicInteger asked) {
        server = new CoapServer(Dtls.plainConfiguration());
        server.addEndpoint(new CoapEndpoint.Builder()
                .setConfiguration(Dtls.plainConfiguration())
                .setInetSocketAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .build());
        CoapResource rentals = new CoapResource("rentals");
        rentals.add(new CoapResource("channel") {
            @Override
            public void handlePOST(CoapExchange exchange) {
                ResponseCode code = answers.get(Math.min(asked.getAndIncrement(), answers.size() - 1));
                if (code == ResponseCode.CHANGED) {
                    ChannelStatus ended = new ChannelStatus(
                            RENTAL,
                            RentalView.ENDED,
                            600,
                            60,
                            60,
                            3,
                            60,
                            0,
                            new Prices(3600, 0),
                            false,
                            true,
                            60,
                            0,
                            540,
                            1_000_000_000L,
                            "");
                    exchange.respond(code, ended.encode(), MediaTypeRegistry.APPLICATION_CBOR);
                } else {
                    exchange.respond(code, "hub b did not answer within 2000 ms", MediaTypeRegistry.TEXT_PLAIN);
                }
            }
        });
        server.add(rentals);
        server.start();
        return URI.create(
                "coap://127.0.0.1:" + server.getEndpoints().get(0).getAddress().getPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.destroy();
        }
    }

    @Test
    void a_hub_failing_for_a_moment_is_said_and_asked_again_and_the_payer_goes_on() {
        AtomicInteger asked = new AtomicInteger();
        URI hub = hubAnswering(
                List.of(ResponseCode.SERVICE_UNAVAILABLE, ResponseCode.SERVICE_UNAVAILABLE, ResponseCode.CHANGED),
                asked);
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (HubClient client = new HubClient(hub, 5_000)) {
            ChannelStatus last = payer(client, new PrintStream(said, true, StandardCharsets.UTF_8))
                    .run();
            assertEquals(RentalView.ENDED, last.state(), "the payer read the channel once the hub answered");
        }
        assertEquals(3, asked.get());
        String log = said.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains(RENTAL + ": hub b did not answer within 2000 ms; trying again in 1 s"), log);
    }

    @Test
    void a_refusal_is_the_hub_s_answer_and_ends_the_payer_at_once() {
        AtomicInteger asked = new AtomicInteger();
        URI hub = hubAnswering(List.of(ResponseCode.NOT_FOUND), asked);
        try (HubClient client = new HubClient(hub, 5_000)) {
            Payer payer = payer(client, new PrintStream(new ByteArrayOutputStream()));
            HubClient.HubRefusedException refused = assertThrows(HubClient.HubRefusedException.class, payer::run);
            assertEquals(4, refused.codeClass);
        }
        assertEquals(1, asked.get(), "not asked again");
    }

    /**
     * A lying hub: its channel, ACTIVE, says {@code due} is due at {@code prices}, with nothing paid; the vouchers it
     * is sent are recorded in {@code signed}.
     */
    private URI hubClaiming(long due, Prices prices, List<Long> signed) {
        server = new CoapServer(Dtls.plainConfiguration());
        server.addEndpoint(new CoapEndpoint.Builder()
                .setConfiguration(Dtls.plainConfiguration())
                .setInetSocketAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .build());
        ChannelStatus claimed = new ChannelStatus(
                RENTAL, RentalView.ACTIVE, 3600, due, 0, 0, 10, 0, prices, false, false, 0, 0, 0, 1_000_000_000L, "");
        CoapResource rentals = new CoapResource("rentals");
        rentals.add(new CoapResource("channel") {
            @Override
            public void handlePOST(CoapExchange exchange) {
                exchange.respond(ResponseCode.CHANGED, claimed.encode(), MediaTypeRegistry.APPLICATION_CBOR);
            }
        });
        server.add(rentals);
        server.add(new CoapResource("vouchers") {
            @Override
            public void handlePOST(CoapExchange exchange) {
                signed.add(io.edgerent.protocol.Cbor.decodeMap(exchange.getRequestPayload())
                        .integer("amount"));
                exchange.respond(ResponseCode.CHANGED, claimed.encode(), MediaTypeRegistry.APPLICATION_CBOR);
            }
        });
        server.start();
        return URI.create(
                "coap://127.0.0.1:" + server.getEndpoints().get(0).getAddress().getPort());
    }

    private Payer.Overcharged overcharged(URI hub) {
        try (HubClient client = new HubClient(hub, 5_000)) {
            Payer payer = payer(client, new PrintStream(new ByteArrayOutputStream()));
            return assertThrows(Payer.Overcharged.class, payer::run);
        }
    }

    @Test
    void a_hub_claiming_more_due_than_the_time_since_renting_and_the_egress_cap_allow_gets_no_voucher() {
        // Rented moments ago at 3600 per hour (one a second) with a 1 GB cap at 1 per GB: at most about 30 + 1 due.
        List<Long> signed = new java.util.concurrent.CopyOnWriteArrayList<>();
        Payer.Overcharged stopped = overcharged(hubClaiming(3_475, new Prices(3600, 1), signed));
        assertEquals(List.of(), signed, "nothing signed");
        assertTrue(
                stopped.getMessage().startsWith("the hub says 3475 is due for rental " + RENTAL), stopped.getMessage());
        assertTrue(stopped.getMessage().contains("edgerent end " + RENTAL), stopped.getMessage());
    }

    @Test
    void a_hub_asking_a_higher_price_than_agreed_gets_no_voucher() {
        List<Long> signed = new java.util.concurrent.CopyOnWriteArrayList<>();
        Payer.Overcharged stopped = overcharged(hubClaiming(1, new Prices(7200, 0), signed));
        assertEquals(List.of(), signed);
        assertTrue(stopped.getMessage().startsWith("the hub asks 7200 per hour"), stopped.getMessage());
    }

    @Test
    void an_honest_hub_is_paid_what_is_due_and_two_intervals_ahead_within_the_terms() throws Exception {
        List<Long> signed = new java.util.concurrent.CopyOnWriteArrayList<>();
        URI hub = hubClaiming(5, new Prices(3600, 1), signed);
        try (HubClient client = new HubClient(hub, 5_000)) {
            Payer payer = payer(client, new PrintStream(new ByteArrayOutputStream()));
            Thread paying = new Thread(payer::run);
            paying.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (signed.isEmpty() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
            }
            payer.stop();
            paying.join(10_000);
        }
        assertEquals(List.of(5L + 2), signed, "due 5 plus two one-second intervals at one a second");
    }

    /** The payer under test: a new renter key, the rental's terms, one voucher a second, not live. */
    private static Payer payer(HubClient client, PrintStream status) {
        return new Payer(client, Ed25519.generate(), RENTAL, TERMS, Duration.ofMillis(1_000), status, false);
    }
}
