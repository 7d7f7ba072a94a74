package io.edgerent.hub.api.coap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.events.Events;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.hub.store.Sql;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Registration;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices observing their assignment version over real DTLS on loopback: a change notifies the device it is for, with
 * a newer observe number each time, and no other device (the hub finds the observation by device id, issue 33).
 */
class AssignmentObservationTest {
    @TempDir
    Path dir;

    /** What one device's observation heard: the first answer, then each notification. */
    private static final class Heard implements CoapHandler {
        final List<CoapResponse> answers = new CopyOnWriteArrayList<>();

        @Override
        public void onLoad(CoapResponse response) {
            answers.add(response);
        }

        @Override
        public void onError() {}

        void await(int count) throws InterruptedException {
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (answers.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(answers.size() >= count, "heard " + answers.size() + " answers, expected " + count);
        }
    }

    @Test
    void an_assignment_change_notifies_the_device_it_is_for_and_no_other() throws Exception {
        Clock clock = Clock.systemUTC();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            Database database = Database.embedded(dir);
            open.add(database);
            Sql sql = new Sql(database);
            Services services =
                    Services.on(sql, HubConfig.builder().dataDir(dir).build(), clock);
            GroupCommit commits = new GroupCommit(sql);
            open.add(commits::close);
            HubKey hubKey = HubKey.loadOrCreate(dir);
            DeviceResources devices =
                    new DeviceResources(services, commits, hubKey, () -> 2222, new HubMetrics("test"), clock);
            Configuration secure = Dtls.configuration(DtlsRole.SERVER_ONLY);
            DTLSConnector dtls = Dtls.connector(
                    secure,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    hubKey.pair(),
                    StaticNewAdvancedCertificateVerifier.builder()
                            .setTrustAllRPKs()
                            .build(),
                    null);
            CoapServer server = new CoapServer(secure);
            server.addEndpoint(new CoapEndpoint.Builder()
                    .setConfiguration(secure)
                    .setConnector(dtls)
                    .build());
            server.add(devices.resource());
            server.start();
            open.add(server::destroy);
            URI hub = URI.create("coaps://127.0.0.1:" + dtls.getAddress().getPort());

            List<String> ids = new ArrayList<>();
            List<Heard> heard = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                KeyPair key = Ed25519.generate();
                String id = services.devices()
                        .register(
                                new Registration(
                                        services.devices().issueToken("olga"),
                                        Ed25519.raw(key.getPublic()),
                                        new HardwareFacts(4, "c", 1, 1, "aarch64", "pi", 1)),
                                2222,
                                "k")
                        .deviceId();
                CoapEndpoint endpoint = Dtls.clientEndpoint(hub, key, HubKeyCheck.any());
                open.add(endpoint::destroy);
                CoapClient client =
                        new CoapClient(hub + "/" + Paths.DEVICES + "/" + id + "/" + Paths.ASSIGNMENT_VERSION);
                client.setEndpoint(endpoint);
                open.add(client::shutdown);
                Heard h = new Heard();
                client.observe(h);
                h.await(1);
                ids.add(id);
                heard.add(h);
            }

            // A, B, A: each change reaches its own device, whose count is then exact; a stray one would show at B.
            int[] expected = {1, 1};
            for (int device : new int[] {0, 1, 0}) {
                Events.Changes changes = services.events().changes();
                changes.assignmentChanged(ids.get(device));
                changes.commit(() -> null);
                expected[device]++;
                heard.get(device).await(expected[device]);
            }
            assertEquals(3, heard.get(0).answers.size(), "device A: its first answer and its two changes");
            assertEquals(2, heard.get(1).answers.size(), "device B: its first answer and its one change");
            List<Integer> numbers = heard.get(0).answers.stream()
                    .map(r -> r.getOptions().getObserve())
                    .toList();
            assertTrue(
                    numbers.get(0) < numbers.get(1) && numbers.get(1) < numbers.get(2),
                    "newer observe numbers: " + numbers);
            for (Heard h : heard) {
                h.answers.forEach(r -> AssignmentVersion.decode(r.getPayload()));
            }
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }
}
