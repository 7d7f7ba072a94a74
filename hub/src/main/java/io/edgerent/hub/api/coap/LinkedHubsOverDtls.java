package io.edgerent.hub.api.coap;

import io.edgerent.hub.federation.Federation.LinkedHub;
import io.edgerent.hub.federation.Federation.RefusedThere;
import io.edgerent.hub.federation.LinkedHubCalls;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import java.io.IOException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.elements.exception.ConnectorException;

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
        client.setEndpoint(endpoints.computeIfAbsent(
                hub, h -> Dtls.clientEndpoint(h.address(), hubKeyPair, HubKeyCheck.pinned(h.key()))));
        client.setTimeout(timeoutMillis);
        try {
            CoapResponse response =
                    payload == null ? client.get() : client.post(payload, MediaTypeRegistry.APPLICATION_CBOR);
            if (response == null) {
                // It may have lost the DTLS session (a crash keeps none) and drop its records unanswered: handshake
                // anew next time.
                Endpoint used = client.getEndpoint();
                if (endpoints.remove(hub, used)) {
                    used.destroy();
                }
                throw new RefusedException(
                        ErrorCode.UNAVAILABLE, "hub " + hub.name() + " did not answer within " + timeoutMillis + " ms");
            }
            if (response.isSuccess()) {
                return response.getPayload();
            }
            int codeClass = response.getCode().codeClass;
            int detail = response.getCode().codeDetail;
            String text = "hub " + hub.name() + ": " + response.getResponseText();
            if (codeClass != 4) {
                throw new RefusedException(ErrorCode.UNAVAILABLE, text);
            }
            ErrorCode code = Arrays.stream(ErrorCode.values())
                    .filter(c -> c.codeClass == 4 && c.codeDetail == detail)
                    .findFirst()
                    .orElse(ErrorCode.CONFLICT);
            throw new RefusedThere(code, text);
        } catch (ConnectorException | IOException e) {
            throw new RefusedException(ErrorCode.UNAVAILABLE, "cannot reach hub " + hub.name() + ": " + e.getMessage());
        } finally {
            client.shutdown();
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
