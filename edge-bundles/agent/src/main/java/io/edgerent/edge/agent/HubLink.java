package io.edgerent.edge.agent;

import io.edgerent.link.CoapCall;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.WipeRecord;
import java.io.IOException;
import java.net.URI;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.scandium.DTLSConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's side of the hub's CoAP API: over {@code coaps://} a DTLS session authenticated with
 * the device key, to a hub that must show the key {@code expectedHubKey} gives (any while it gives
 * none); plain {@code coap://} only to a hub on this machine.
 *
 * <p>Several hubs serving one fleet (on one database, with one key) may be given: requests go to one
 * of them, in order, and a request it does not answer sends the next ones to the next hub.
 */
final class HubLink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HubLink.class);

    private final List<URI> hubs;
    /** Which of {@link #hubs} requests go to. */
    private final AtomicInteger current = new AtomicInteger();

    private final KeyPair deviceKey;
    private final HubKeyCheck check;
    private final CoapEndpoint endpoint;

    /** {@code hubs}: one or more, all {@code coaps://}, or all plain {@code coap://} on this machine. */
    HubLink(List<URI> hubs, KeyPair deviceKey, Supplier<Optional<PublicKey>> expectedHubKey) {
        this.hubs = List.copyOf(hubs);
        this.deviceKey = deviceKey;
        this.check = HubKeyCheck.expecting(expectedHubKey);
        endpoint = Dtls.clientEndpoint(this.hubs.get(0), deviceKey, check);
        try {
            endpoint.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a UDP socket for CoAP: " + e.getMessage(), e);
        }
    }

    /** The hub requests go to now; its host is where the rental's tunnel goes too. */
    URI hub() {
        return hubs.get(current.get());
    }

    /** The key this device authenticates with, and signs its reports with. */
    KeyPair deviceKey() {
        return deviceKey;
    }

    /** The SSH host key the hub shows, as an OpenSSH line. */
    String hubKey() {
        return Cbor.decodeMap(get(Paths.HUB_KEY)).text("hubKey");
    }

    RegistrationAccepted register(Registration registration) {
        return RegistrationAccepted.decode(post(Paths.DEVICES, registration.encode()));
    }

    Assignment heartbeat(String deviceId, Heartbeat heartbeat) {
        return Assignment.decode(post(Paths.DEVICES + "/" + deviceId + "/" + Paths.HEARTBEAT, heartbeat.encode()));
    }

    /**
     * Reports a rental's usage: over DTLS as it is (the session, opened with the device key, authenticates it, as it
     * does heartbeats); over plain loopback CoAP signed with the device key, the only proof there.
     */
    void reportUsage(String deviceId, KeyPair deviceKey, UsageReport usage) {
        if (Dtls.SECURE.equals(hub().getScheme())) {
            post(Paths.DEVICES + "/" + deviceId + "/" + Paths.USAGE, usage.encode());
        } else {
            postSigned(deviceId, Paths.USAGE, deviceKey, usage.encode());
        }
    }

    void reportWipe(String deviceId, KeyPair deviceKey, WipeRecord wipe) {
        postSigned(deviceId, Paths.WIPES, deviceKey, wipe.encode());
    }

    private void postSigned(String deviceId, String resource, KeyPair deviceKey, byte[] body) {
        String path = Paths.DEVICES + "/" + deviceId + "/" + resource;
        post(
                path,
                SignedRequest.sign(deviceKey, path, System.currentTimeMillis(), body)
                        .encode());
    }

    /** What the device should be doing now. */
    Assignment assignment(String deviceId) {
        return Assignment.decode(get(Paths.DEVICES + "/" + deviceId + "/" + Paths.ASSIGNMENT));
    }

    /** Observes the version of the device's assignment; each notification goes to {@code onChange}. */
    CoapObserveRelation observe(String deviceId, LongConsumer onChange) {
        CoapClient client = client(current.get(), Paths.DEVICES + "/" + deviceId + "/" + Paths.ASSIGNMENT_VERSION);
        return client.observe(new CoapHandler() {
            @Override
            public void onLoad(CoapResponse response) {
                if (!response.isSuccess()) {
                    LOG.warn("assignment observation answered {}: {}", response.getCode(), response.getResponseText());
                    return;
                }
                try {
                    onChange.accept(
                            AssignmentVersion.decode(response.getPayload()).version());
                } catch (MalformedMessageException e) {
                    LOG.warn("ignored a malformed assignment version from the hub: {}", e.getMessage());
                }
            }

            @Override
            public void onError() {
                LOG.debug("assignment observation failed; heartbeats carry the assignment meanwhile");
            }
        });
    }

    private byte[] get(String path) {
        return call(path, CoapClient::get);
    }

    private byte[] post(String path, byte[] payload) {
        return call(path, client -> client.post(payload, MediaTypeRegistry.APPLICATION_CBOR));
    }

    /** One request to {@code path} at the hub requests go to now; its answer, or why there is none. */
    private byte[] call(String path, CoapCall.Send call) {
        int used = current.get();
        try {
            return CoapCall.payload(client(used, path), call);
        } catch (CoapCall.Refused e) {
            throw new HubRefusedException(e.codeClass, e.code + " " + e.getMessage());
        } catch (CoapCall.NoAnswer e) {
            if (e.timedOut() && endpoint.getConnector() instanceof DTLSConnector dtls) {
                // The hub may have lost the DTLS session (a crash keeps none) and drop its records unanswered: the
                // next request handshakes anew. A hub that merely did not answer costs one handshake more.
                dtls.clearConnectionState();
            }
            throw unreachable(used, e.timedOut() ? null : (Exception) e.getCause());
        }
    }

    /**
     * No answer from hub {@code used}: because it showed a key other than the expected one, or for any
     * other reason. The next requests go to the next hub, if there is another.
     */
    private HubUnavailableException unreachable(int used, Exception e) {
        URI hub = hubs.get(used);
        String next = "";
        if (hubs.size() > 1 && current.compareAndSet(used, (used + 1) % hubs.size())) {
            next = "; trying " + hub() + " next";
        }
        if (check.refused()) {
            return new HubUnavailableException(
                    "not talking to the hub at " + hub + ": in the DTLS handshake it shows the key '"
                            + check.shown().map(SshKeys::ecdsaP256Line).orElse("?")
                            + "', not the one pinned or registered with" + next);
        }
        return new HubUnavailableException((e == null
                        ? "no answer from the hub at " + hub
                        : "cannot reach the hub at " + hub + ": " + e.getMessage())
                + next);
    }

    private CoapClient client(int hub, String path) {
        CoapClient client = new CoapClient(hubs.get(hub).resolve("/" + path));
        client.setEndpoint(endpoint);
        client.setTimeout(10_000L);
        return client;
    }

    @Override
    public void close() {
        endpoint.destroy();
    }

    /** The hub did not answer; try again later. */
    static final class HubUnavailableException extends RuntimeException {
        HubUnavailableException(String message) {
            super(message);
        }
    }

    /** The hub answered with an error; retrying the same request will not help. */
    static final class HubRefusedException extends RuntimeException {
        final int codeClass;

        HubRefusedException(int codeClass, String message) {
            super(message);
            this.codeClass = codeClass;
        }
    }
}
