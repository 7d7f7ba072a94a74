package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An owner's settled income, per device, after the hub's fee. */
public record Earnings(String owner, long balance, List<PerDevice> devices) {
    /** What one device earned over how many settled rentals. */
    public record PerDevice(String deviceId, long amount, long rentals) {}

    public byte[] encode() {
        List<Object> items = new ArrayList<>();
        for (PerDevice d : devices) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("device", d.deviceId());
            m.put("amount", d.amount());
            m.put("rentals", d.rentals());
            items.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("owner", owner);
        m.put("balance", balance);
        m.put("devices", items);
        return Cbor.encode(m);
    }

    public static Earnings decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        return new Earnings(
                f.text("owner"),
                f.integer("balance"),
                f.maps("devices").stream()
                        .map(d -> new PerDevice(d.text("device"), d.integer("amount"), d.integer("rentals")))
                        .toList());
    }
}
