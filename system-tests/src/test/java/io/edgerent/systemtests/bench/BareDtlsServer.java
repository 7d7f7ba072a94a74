package io.edgerent.systemtests.bench;

import io.edgerent.link.Dtls;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentalOrder;
import io.edgerent.protocol.Template;
import java.net.InetSocketAddress;
import java.util.List;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;

/**
 * The fleet benchmark's baseline: a bare Californium CoAP server over the same DTLS configuration as
 * the hub's (Scandium, raw public keys, connection IDs), answering the device paths a hub answers,
 * {@code devices/ID/heartbeat}, {@code devices/ID/usage}, {@code devices/ID/assignment} and the observable
 * {@code devices/ID/assignment-version}, with fixed payloads of the hub's sizes for a rented device, and
 * doing nothing else: no database, no signatures.
 * Usage: BareDtlsServer PORT (0: any); prints "bare server on PORT".
 */
public final class BareDtlsServer {
    public static void main(String[] args) throws Exception {
        byte[] assignment = new Assignment(
                        2,
                        new RentalOrder(
                                "r-000000000000",
                                Template.BASE,
                                List.of(FleetBenchmark.SSH_KEY),
                                System.currentTimeMillis() + 3_600_000,
                                false,
                                null))
                .encode();
        byte[] version = new AssignmentVersion(2).encode();
        byte[] status = new ChannelStatus(
                        "r-000000000000",
                        "open",
                        10_000,
                        60,
                        60,
                        1,
                        60,
                        0,
                        new Prices(3600, 0),
                        false,
                        false,
                        0,
                        0,
                        0,
                        1_000_000_000L,
                        "")
                .encode();
        Configuration configuration = Dtls.configuration(DtlsRole.SERVER_ONLY);
        CoapServer server = new CoapServer(configuration);
        server.addEndpoint(new CoapEndpoint.Builder()
                .setConfiguration(configuration)
                .setConnector(Dtls.connector(
                        configuration,
                        new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])),
                        Ed25519.generate(),
                        StaticNewAdvancedCertificateVerifier.builder()
                                .setTrustAllRPKs()
                                .build(),
                        null))
                .build());
        CoapResource device = new CoapResource("device");
        device.add(
                new Answer(Paths.HEARTBEAT, assignment),
                new Answer(Paths.USAGE, status),
                new CoapResource(Paths.ASSIGNMENT) {
                    @Override
                    public void handleGET(CoapExchange exchange) {
                        exchange.respond(ResponseCode.CONTENT, assignment, MediaTypeRegistry.APPLICATION_CBOR);
                    }
                });
        CoapResource observable = new CoapResource(Paths.ASSIGNMENT_VERSION) {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond(ResponseCode.CONTENT, version, MediaTypeRegistry.APPLICATION_CBOR);
            }
        };
        observable.setObservable(true);
        observable.setObserveType(Type.CON);
        device.add(observable);
        // Every devices/ID is the same resource: the baseline keeps no state per device but what CoAP and DTLS keep.
        server.add(new CoapResource("devices") {
            @Override
            public Resource getChild(String name) {
                return device;
            }
        });
        server.start();
        System.out.println(
                "bare server on " + server.getEndpoints().get(0).getAddress().getPort());
        Thread.currentThread().join();
    }

    private static final class Answer extends CoapResource {
        private final byte[] payload;

        Answer(String name, byte[] payload) {
            super(name);
            this.payload = payload;
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            exchange.respond(ResponseCode.CHANGED, payload, MediaTypeRegistry.APPLICATION_CBOR);
        }
    }
}
