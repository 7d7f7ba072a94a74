package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A device as the marketplace shows it. */
public record Listing(String deviceId, String owner, DeviceState state, boolean online, HardwareFacts facts, Prices prices,
        Set<Template> templates) {
    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", deviceId);
        m.put("owner", owner);
        m.put("state", state.name());
        m.put("online", online);
        m.put("facts", facts.toCbor());
        m.put("prices", prices.toCbor());
        m.put("templates", Template.ids(templates));
        return m;
    }

    public static Listing from(Fields f) {
        return new Listing(f.text("device"), f.text("owner"), DeviceState.parse(f.text("state")), f.bool("online"),
                HardwareFacts.from(f.map("facts")), Prices.from(f.map("prices")), Template.from(f, "templates"));
    }

    public static byte[] encodeAll(List<Listing> listings) {
        List<Object> items = new ArrayList<>();
        listings.forEach(l -> items.add(l.toCbor()));
        return Cbor.encode(Map.of("listings", items));
    }

    public static List<Listing> decodeAll(byte[] payload) {
        return Cbor.decodeMap(payload).maps("listings").stream().map(Listing::from).toList();
    }
}
