package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/** The body of a signed request for more time on a rental, with more deposit for its escrow. */
public record ExtendRequest(String rental, int hours, long deposit) {
    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rental", rental);
        m.put("hours", hours);
        m.put("deposit", deposit);
        return Cbor.encode(m);
    }

    public static ExtendRequest from(Fields f) {
        String rental = f.text("rental");
        if (!Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        return new ExtendRequest(
                rental,
                (int) f.integer("hours", 0, RentRequest.MAX_HOURS),
                f.integer("deposit", 0, Long.MAX_VALUE / 4));
    }
}
