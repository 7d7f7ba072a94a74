package io.edgerent.hub.federation;

import io.edgerent.hub.federation.Federation.LinkedHub;

/** How the federation reaches a linked hub; the CoAP adapter does it over DTLS. */
public interface LinkedHubCalls extends AutoCloseable {
    /**
     * One request to a linked hub, a GET when {@code payload} is null: its answer's payload,
     * {@link Federation.RefusedThere} for its refusal, or {@code UNAVAILABLE} when it does not answer or fails.
     */
    byte[] call(LinkedHub hub, String path, byte[] payload);

    /** Drops what is held for the hub named (its session), once it is unlinked. */
    void forget(String name);

    @Override
    void close();
}
