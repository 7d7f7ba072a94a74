package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.KeyPair;
import org.junit.jupiter.api.Test;

class SignedRequestTest {
    private final KeyPair renter = Ed25519.generate();
    private final byte[] body = new RentRequest("d-0123456789ab", 2, "ssh-ed25519 AAAA", 100, 1000).encode();

    @Test
    void a_signed_request_verifies_after_the_wire() {
        SignedRequest wire = SignedRequest.decode(
                SignedRequest.sign(renter, "rentals", 1000, body).encode());
        assertEquals(
                "d-0123456789ab", RentRequest.from(wire.verify("rentals", 2000)).deviceId());
    }

    @Test
    void a_request_moved_to_another_resource_is_refused() {
        SignedRequest signed = SignedRequest.sign(renter, "rentals", 1000, body);
        assertThrows(SignedRequest.SignatureException.class, () -> signed.verify("rentals/r-000000000000/end", 1000));
    }

    @Test
    void a_tampered_body_or_foreign_key_is_refused() {
        SignedRequest signed = SignedRequest.sign(renter, "rentals", 1000, body);
        byte[] other = new RentRequest("d-0123456789ab", 3, "ssh-ed25519 AAAA", 100, 1000).encode();
        assertThrows(
                SignedRequest.SignatureException.class,
                () -> new SignedRequest(signed.renterKey(), 1000, other, signed.signature()).verify("rentals", 1000));
        byte[] foreign = Ed25519.raw(Ed25519.generate().getPublic());
        assertThrows(
                SignedRequest.SignatureException.class,
                () -> new SignedRequest(foreign, 1000, body, signed.signature()).verify("rentals", 1000));
    }

    @Test
    void a_stale_request_is_refused() {
        SignedRequest signed = SignedRequest.sign(renter, "rentals", 1000, body);
        assertThrows(
                SignedRequest.SignatureException.class,
                () -> signed.verify("rentals", 1000 + SignedRequest.MAX_AGE_MILLIS + 1));
    }
}
