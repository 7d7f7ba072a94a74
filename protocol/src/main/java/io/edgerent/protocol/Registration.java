package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/** A device's first words to the hub: the owner's one-time token, its public key, what it measured. */
public record Registration(String token, byte[] publicKey, HardwareFacts facts) {
    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token);
        m.put("key", publicKey);
        m.put("facts", facts.toCbor());
        return Cbor.encode(m);
    }

    public static Registration decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        byte[] key = f.bytes("key");
        Ed25519.publicKey(key);
        return new Registration(Names.shortText(f, "token"), key, HardwareFacts.from(f.map("facts")));
    }
}
