package io.edgerent.edge.tunnels;

import java.security.KeyPair;
import java.util.List;

/**
 * A rental's tunnel: one SSH connection to the hub's gateway carrying its reverse forwards. The
 * device logs in as {@code deviceId} with its Ed25519 key and trusts only {@code hubHostKey}
 * (OpenSSH form, pinned at registration).
 */
public record TunnelSpec(
        String rental,
        String hubHost,
        int hubSshPort,
        String hubHostKey,
        String deviceId,
        KeyPair deviceKey,
        List<Forward> forwards) {
    public TunnelSpec {
        forwards = List.copyOf(forwards);
    }

    /** The hub listens on {@code 127.0.0.1:remotePort} and sends what arrives to {@code targetHost:targetPort} as seen from this device. */
    public record Forward(int remotePort, String targetHost, int targetPort) {}
}
