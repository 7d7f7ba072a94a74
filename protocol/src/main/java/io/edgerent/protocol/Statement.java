package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An account's balance and its movements, newest last. */
public record Statement(String account, long balance, List<Line> lines) {
    /** One movement: when, why (the transaction's reference), how much (negative leaves the account). */
    public record Line(long at, String reference, long amount) {}

    public byte[] encode() {
        List<Object> items = new ArrayList<>();
        for (Line l : lines) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", l.at());
            m.put("ref", l.reference());
            m.put("amount", l.amount());
            items.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("account", account);
        m.put("balance", balance);
        m.put("lines", items);
        return Cbor.encode(m);
    }

    public static Statement decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        List<Line> lines = f.maps("lines").stream()
                .map(l -> new Line(l.integer("at"), l.text("ref"), l.integer("amount")))
                .toList();
        return new Statement(f.text("account"), f.integer("balance"), lines);
    }
}
