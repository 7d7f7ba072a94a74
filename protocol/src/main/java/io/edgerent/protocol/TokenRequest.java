package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hub operator asking for a one-time registration token for an owner's device, or with
 * {@code dashboard} for a one-time invitation to sign up on the web pages as that owner.
 */
public record TokenRequest(String adminSecret, String owner, boolean dashboard) {
    public TokenRequest(String adminSecret, String owner) {
        this(adminSecret, owner, false);
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("secret", adminSecret);
        m.put("owner", owner);
        if (dashboard) {
            m.put("dashboard", true);
        }
        return Cbor.encode(m);
    }

    public static TokenRequest decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        String owner = Names.shortText(f, "owner");
        if (!owner.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new MalformedMessageException("owner names use letters, digits, '.', '_' and '-' (1 to 64)");
        }
        return new TokenRequest(Names.shortText(f, "secret"), owner, f.has("dashboard") && f.bool("dashboard"));
    }
}
