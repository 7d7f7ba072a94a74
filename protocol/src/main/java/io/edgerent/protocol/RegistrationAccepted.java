package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/** The hub's answer to a registration: the device's id, its reserved tunnel port and the SSH host key to pin. */
public record RegistrationAccepted(String deviceId, int sshPort, int tunnelPort, String hubHostKey) {
    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", deviceId);
        m.put("sshPort", sshPort);
        m.put("tunnelPort", tunnelPort);
        m.put("hostKey", hubHostKey);
        return Cbor.encode(m);
    }

    public static RegistrationAccepted decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        return new RegistrationAccepted(f.text("device"), (int) f.integer("sshPort", 1, 65535),
                (int) f.integer("tunnelPort", 1, 65535), f.text("hostKey"));
    }
}
