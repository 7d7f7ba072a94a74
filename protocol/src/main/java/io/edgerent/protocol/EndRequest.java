package io.edgerent.protocol;

import java.util.Map;

/** The body of a signed request to end a rental. */
public record EndRequest(String rental) {
    public byte[] encode() {
        return Cbor.encode(Map.of("rental", rental));
    }

    public static EndRequest from(Fields f) {
        String rental = f.text("rental");
        if (!Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        return new EndRequest(rental);
    }
}
