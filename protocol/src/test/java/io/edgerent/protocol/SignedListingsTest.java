package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SignedListingsTest {
    private final KeyPair hub = ecdsa();
    private final String hubKey = SshKeys.ecdsaP256Line(hub.getPublic());
    private final Listing listing = new Listing(
            "d-0123456789ab",
            "bob",
            DeviceState.LISTED,
            true,
            new HardwareFacts(4, "Cortex-A76", 8L << 30, 32L << 30, "aarch64", "Raspberry Pi 5", 0),
            new Prices(3600, 10),
            Set.of(Template.BASE));

    @Test
    void listings_signed_by_the_hub_verify_with_its_key_until_they_expire() {
        byte[] wire = new SignedListings(hubKey, 1_000, 61_000, List.of(listing)).sign(hub);
        SignedListings got = SignedListings.verify(wire, hub.getPublic(), 30_000);
        assertEquals(List.of(listing), got.listings());
        assertEquals(61_000, got.expiresAt());
        assertThrows(
                SignedRequest.SignatureException.class, () -> SignedListings.verify(wire, hub.getPublic(), 61_000));
    }

    @Test
    void another_key_a_tampered_body_or_a_borrowed_signature_is_refused() {
        byte[] wire = new SignedListings(hubKey, 1_000, 61_000, List.of(listing)).sign(hub);
        assertThrows(
                SignedRequest.SignatureException.class, () -> SignedListings.verify(wire, ecdsa().getPublic(), 30_000));

        Fields outer = Cbor.decodeMap(wire);
        byte[] body = outer.bytes("body").clone();
        body[body.length - 3] ^= 1;
        byte[] tampered = Cbor.encode(Map.of("body", body, "sig", outer.bytes("sig")));
        assertThrows(RuntimeException.class, () -> SignedListings.verify(tampered, hub.getPublic(), 30_000));

        // Another hub signing listings that name this hub's key.
        KeyPair other = ecdsa();
        byte[] borrowed = new SignedListings(hubKey, 1_000, 61_000, List.of(listing)).sign(other);
        assertThrows(
                SignedRequest.SignatureException.class,
                () -> SignedListings.verify(borrowed, other.getPublic(), 30_000));
    }

    @Test
    void listings_from_the_future_valid_too_long_or_of_other_hubs_are_refused() {
        long day = SignedListings.MAX_VALIDITY_MILLIS;
        assertThrows(
                SignedRequest.SignatureException.class,
                () -> SignedListings.verify(
                        new SignedListings(hubKey, 1_000 + 2 * SignedListings.CLOCK_SKEW_MILLIS, 3 * day, List.of())
                                .sign(hub),
                        hub.getPublic(),
                        1_000));
        assertThrows(
                SignedRequest.SignatureException.class,
                () -> SignedListings.verify(
                        new SignedListings(hubKey, 1_000, 1_000 + day + 1, List.of()).sign(hub),
                        hub.getPublic(),
                        2_000));
        assertThrows(
                MalformedMessageException.class,
                () -> SignedListings.verify(
                        new SignedListings(hubKey, 1_000, 61_000, List.of(listing.from("c", false))).sign(hub),
                        hub.getPublic(),
                        2_000));
    }

    @Test
    void a_device_s_home_proof_travels_with_the_listings_and_names_only_its_hub_and_its_id() {
        KeyPair device = Ed25519.generate();
        HomeProof proof = new HomeProof(
                Ed25519.raw(device.getPublic()), HomeProof.sign(device, listing.deviceId(), hubKey + " hub@a"));
        byte[] wire = new SignedListings(hubKey, 1_000, 61_000, List.of(listing), Map.of(listing.deviceId(), proof))
                .sign(hub);
        HomeProof got =
                SignedListings.verify(wire, hub.getPublic(), 30_000).proofs().get(listing.deviceId());
        assertTrue(got.names(listing.deviceId(), hubKey), "a comment on the key line changes nothing");
        assertFalse(got.names(listing.deviceId(), SshKeys.ecdsaP256Line(ecdsa().getPublic())), "another hub");
        assertFalse(got.names("d-ba9876543210", hubKey), "another device id");
        KeyPair other = Ed25519.generate();
        assertFalse(
                new HomeProof(Ed25519.raw(other.getPublic()), got.signature()).names(listing.deviceId(), hubKey),
                "another device's key");
    }

    private static KeyPair ecdsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
