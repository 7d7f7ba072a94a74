package io.edgerent.protocol;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hub's own listings as it gives them to the hubs linked with it: signed with its key (ECDSA
 * P-256, its SSH host key), valid until {@code expiresAt}. A linked hub shows them on its market
 * until then, so a hub that went away drops off every market by itself. {@code proofs} holds, by device id, each
 * listed device's {@link HomeProof} naming this hub: a linked hub shows only devices whose proof names the hub that
 * listed them.
 */
public record SignedListings(
        String hubKey, long issuedAt, long expiresAt, List<Listing> listings, Map<String, HomeProof> proofs) {
    public SignedListings(String hubKey, long issuedAt, long expiresAt, List<Listing> listings) {
        this(hubKey, issuedAt, expiresAt, listings, Map.of());
    }

    /** Longest validity a hub may give its listings. */
    public static final long MAX_VALIDITY_MILLIS = 24 * 3_600_000L;
    /** How far a hub's clock may be ahead of its peer's. */
    public static final long CLOCK_SKEW_MILLIS = SignedRequest.MAX_AGE_MILLIS;

    public byte[] sign(KeyPair hub) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hubKey", hubKey);
        body.put("issuedAt", issuedAt);
        body.put("expiresAt", expiresAt);
        List<Object> items = new ArrayList<>();
        listings.forEach(l -> items.add(l.toCbor()));
        body.put("listings", items);
        List<Object> proven = new ArrayList<>();
        proofs.forEach((device, proof) -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("device", device);
            p.put("key", proof.deviceKey());
            p.put("sig", proof.signature());
            proven.add(p);
        });
        body.put("proofs", proven);
        byte[] bytes = Cbor.encode(body);
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(hub.getPrivate());
            signer.update(signedBytes(bytes));
            return Cbor.encode(Map.of("body", bytes, "sig", signer.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign listings with the hub key", e);
        }
    }

    /**
     * The listings in {@code payload} if {@code key} signed them for itself and they are valid at
     * {@code now}; refused otherwise ({@link SignedRequest.SignatureException}), malformed with
     * {@link MalformedMessageException}.
     */
    public static SignedListings verify(byte[] payload, PublicKey key, long now) {
        Fields outer = Cbor.decodeMap(payload);
        byte[] bytes = outer.bytes("body");
        try {
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(key);
            verifier.update(signedBytes(bytes));
            if (!verifier.verify(outer.bytes("sig"))) {
                throw new SignedRequest.SignatureException("the listings are not signed with the linked hub's key");
            }
        } catch (GeneralSecurityException e) {
            throw new SignedRequest.SignatureException("the listings' signature cannot be checked: " + e.getMessage());
        }
        Fields body = Cbor.decodeMap(bytes);
        SignedListings listings = new SignedListings(
                body.text("hubKey"),
                body.integer("issuedAt"),
                body.integer("expiresAt"),
                body.maps("listings").stream().map(Listing::from).toList(),
                body.has("proofs") ? proofs(body.maps("proofs")) : Map.of());
        if (!SshKeys.ecdsaP256Key(listings.hubKey).equals(key)) {
            throw new SignedRequest.SignatureException(
                    "the listings name another hub's key than the one that signed them");
        }
        if (listings.issuedAt > now + CLOCK_SKEW_MILLIS
                || listings.expiresAt <= now
                || listings.expiresAt - listings.issuedAt > MAX_VALIDITY_MILLIS) {
            throw new SignedRequest.SignatureException(
                    "the listings are expired or from the future (check the clocks)");
        }
        for (Listing listing : listings.listings) {
            if (listing.home() != null) {
                throw new MalformedMessageException("a hub signs only its own devices' listings");
            }
        }
        return listings;
    }

    private static byte[] signedBytes(byte[] body) {
        return Cbor.encode(List.of("edgerent-listings-v1", body));
    }

    private static Map<String, HomeProof> proofs(List<Fields> items) {
        Map<String, HomeProof> proofs = new LinkedHashMap<>();
        for (Fields p : items) {
            proofs.put(p.text("device"), new HomeProof(p.bytes("key"), p.bytes("sig")));
        }
        return proofs;
    }
}
