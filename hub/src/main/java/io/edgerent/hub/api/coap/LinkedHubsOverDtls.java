package io.edgerent.hub.api.coap;

import io.edgerent.hub.federation.Federation.LinkedHub;
import io.edgerent.hub.federation.Federation.RefusedThere;
import io.edgerent.hub.federation.LinkedHubCalls;
import io.edgerent.link.CoapCall;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;

/** Requests to linked hubs over CoAP and DTLS, as this hub (its key), each linked hub's key pinned. */
public final class LinkedHubsOverDtls implements LinkedHubCalls {
    private final KeyPair hubKeyPair;
    private final long timeoutMillis;
    /** One DTLS client endpoint per linked hub, keyed by name, address and key, so a changed link gets a new one. */
    private final Map<LinkedHub, CoapEndpoint> endpoints = new ConcurrentHashMap<>();

    public LinkedHubsOverDtls(KeyPair hubKeyPair, Duration timeout) {
        this.hubKeyPair = hubKeyPair;
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public byte[] call(LinkedHub hub, String path, byte[] payload) {
        CoapClient client = new CoapClient(hub.address().resolve("/" + path));
        CoapEndpoint endpoint = endpoints.computeIfAbsent(
                hub, h -> Dtls.clientEndpoint(h.address(), hubKeyPair, HubKeyCheck.pinned(h.key())));
        client.setEndpoint(endpoint);
        client.setTimeout(timeoutMillis);
        try {
            return CoapCall.payload(
                    client, c -> payload == null ? c.get() : c.post(payload, MediaTypeRegistry.APPLICATION_CBOR));
        } catch (CoapCall.NoAnswer e) {
            if (!e.timedOut()) {
                throw new RefusedException(
                        ErrorCode.UNAVAILABLE, "cannot reach hub " + hub.name() + ": " + e.getMessage());
            }
            // It may have lost the DTLS session (a crash keeps none) and drop its records unanswered: handshake anew
            // next time.
            if (endpoints.remove(hub, endpoint)) {
                endpoint.destroy();
            }
            throw new RefusedException(
                    ErrorCode.UNAVAILABLE, "hub " + hub.name() + " did not answer within " + timeoutMillis + " ms");
        } catch (CoapCall.Refused e) {
            String text = "hub " + hub.name() + ": " + e.getMessage();
            if (e.codeClass != 4) {
                throw new RefusedException(ErrorCode.UNAVAILABLE, text);
            }
            ErrorCode code = Arrays.stream(ErrorCode.values())
                    .filter(c -> c.codeClass == 4 && c.codeDetail == e.codeDetail)
                    .findFirst()
                    .orElse(ErrorCode.CONFLICT);
            throw new RefusedThere(code, text);
        }
    }

    @Override
    public void forget(String name) {
        endpoints.entrySet().removeIf(e -> {
            if (e.getKey().name().equals(name)) {
                e.getValue().destroy();
                return true;
            }
            return false;
        });
    }

    @Override
    public void close() {
        endpoints.values().forEach(CoapEndpoint::destroy);
    }
}
