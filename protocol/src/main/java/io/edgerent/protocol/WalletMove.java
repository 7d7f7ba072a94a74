package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hub operator recording money that entered or left through the settlement rail: a deposit
 * into, or a withdrawal from, an account, with the rail's reference (which makes it happen once).
 */
public record WalletMove(String adminSecret, String direction, String account, long amount, String reference) {
    public static final String DEPOSIT = "deposit";
    public static final String WITHDRAW = "withdraw";

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("secret", adminSecret);
        m.put("direction", direction);
        m.put("account", account);
        m.put("amount", amount);
        m.put("ref", reference);
        return Cbor.encode(m);
    }

    public static WalletMove decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        String direction = f.text("direction");
        if (!direction.equals(DEPOSIT) && !direction.equals(WITHDRAW)) {
            throw new MalformedMessageException("field 'direction' must be deposit or withdraw");
        }
        String reference = Names.shortText(f, "ref");
        if (reference.isBlank()) {
            throw new MalformedMessageException("field 'ref' must name the rail's reference");
        }
        return new WalletMove(
                Names.shortText(f, "secret"),
                direction,
                Names.shortText(f, "account"),
                f.integer("amount", 1, Long.MAX_VALUE / 4),
                reference);
    }
}
