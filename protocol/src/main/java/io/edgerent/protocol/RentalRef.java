package io.edgerent.protocol;

import java.util.Map;

/** The body of a signed request about one rental: to end it, or to read its channel. */
public record RentalRef(String rental) {
    public byte[] encode() {
        return Cbor.encode(Map.of("rental", rental));
    }

    public static RentalRef from(Fields f) {
        String rental = f.text("rental");
        if (!Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        return new RentalRef(rental);
    }
}
