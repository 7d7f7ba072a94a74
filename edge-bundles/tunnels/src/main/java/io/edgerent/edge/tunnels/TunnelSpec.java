package io.edgerent.edge.tunnels;

import java.security.KeyPair;

/**
 * One reverse forward: the hub listens on {@code 127.0.0.1:remotePort} and sends what arrives to
 * {@code targetHost:targetPort} as seen from this device. The device logs in as {@code deviceId}
 * with its Ed25519 key and trusts only {@code hubHostKey} (OpenSSH form, pinned at registration).
 */
public record TunnelSpec(String rental, String hubHost, int hubSshPort, String hubHostKey, String deviceId, KeyPair deviceKey,
        int remotePort, String targetHost, int targetPort) {}
