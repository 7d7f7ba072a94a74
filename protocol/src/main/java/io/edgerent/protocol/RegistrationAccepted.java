package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hub's answer to a registration: the device's id, the hub's SSH gateway port and host key to pin,
 * and the two loopback ports reserved on the hub for this device's reverse forwards (the rental's
 * sshd and its web server).
 */
public record RegistrationAccepted(
        String deviceId, int sshPort, int tunnelPort, int httpTunnelPort, String hubHostKey) {
    public byte[] encode() {
        return Cbor.encode(toCbor());
    }

    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", deviceId);
        m.put("sshPort", sshPort);
        m.put("tunnelPort", tunnelPort);
        m.put("httpTunnelPort", httpTunnelPort);
        m.put("hostKey", hubHostKey);
        return m;
    }

    public static RegistrationAccepted decode(byte[] payload) {
        return from(Cbor.decodeMap(payload));
    }

    public static RegistrationAccepted from(Fields f) {
        return new RegistrationAccepted(
                f.text("device"),
                (int) f.integer("sshPort", 1, 65535),
                (int) f.integer("tunnelPort", 1, 65535),
                (int) f.integer("httpTunnelPort", 1, 65535),
                f.text("hostKey"));
    }
}
