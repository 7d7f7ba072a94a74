package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a device should be doing now: serving {@code rental}, or nothing when it is null.
 * The version grows with every change so a device can tell a new assignment from a repeat.
 */
public record Assignment(long version, RentalOrder rental) {
    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", version);
        m.put("rental", rental == null ? null : rental.toCbor());
        return Cbor.encode(m);
    }

    public static Assignment decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        Fields rental = f.optionalMap("rental");
        return new Assignment(f.integer("version"), rental == null ? null : RentalOrder.from(rental));
    }
}
