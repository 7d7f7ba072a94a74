package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A device saying it is alive, in which governor state, serving which rental (or none), at which
 * prices, and whether its owner offers it for new rentals now (listing on, within its available
 * hours). A device too old to say is offered.
 */
public record Heartbeat(DeviceState state, String rental, Prices prices, boolean offered) {
    public Heartbeat(DeviceState state, String rental, Prices prices) {
        this(state, rental, prices, true);
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state.name());
        m.put("rental", rental);
        m.put("prices", prices.toCbor());
        m.put("offered", offered);
        return Cbor.encode(m);
    }

    public static Heartbeat decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        String rental = f.optionalText("rental");
        if (rental != null && !Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        return new Heartbeat(DeviceState.parse(f.text("state")), rental, Prices.from(f.map("prices")),
                !f.has("offered") || f.bool("offered"));
    }
}
