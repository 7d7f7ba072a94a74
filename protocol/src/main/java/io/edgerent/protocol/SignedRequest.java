package io.edgerent.protocol;

import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A renter's request, signed with the renter's Ed25519 key, which is the renter's identity.
 * The signature covers the resource path, the time and the body, so it cannot be moved to
 * another resource; {@link #MAX_AGE_MILLIS} bounds how long a captured request stays usable.
 */
public record SignedRequest(byte[] renterKey, long issuedAt, byte[] body, byte[] signature) {
    public static final long MAX_AGE_MILLIS = 5 * 60 * 1000;

    public static SignedRequest sign(KeyPair renter, String path, long now, byte[] body) {
        return new SignedRequest(
                Ed25519.raw(renter.getPublic()),
                now,
                body,
                Ed25519.sign(renter.getPrivate(), signedBytes(path, now, body)));
    }

    /** Checks the signature and freshness; returns the body's fields. */
    public Fields verify(String path, long now) {
        if (Math.abs(now - issuedAt) > MAX_AGE_MILLIS) {
            throw new SignatureException("request is stale or from the future (check the clock)");
        }
        if (!Ed25519.verify(renterKey, signedBytes(path, issuedAt, body), signature)) {
            throw new SignatureException("request signature does not verify");
        }
        return Cbor.decodeMap(body);
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("renter", renterKey);
        m.put("issuedAt", issuedAt);
        m.put("body", body);
        m.put("sig", signature);
        return Cbor.encode(m);
    }

    public static SignedRequest decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        return new SignedRequest(f.bytes("renter"), f.integer("issuedAt"), f.bytes("body"), f.bytes("sig"));
    }

    private static byte[] signedBytes(String path, long issuedAt, byte[] body) {
        return Cbor.encode(java.util.List.of("edgerent-request-v1", path, issuedAt, body));
    }

    /** A signature that does not verify, or a request outside its time window. */
    public static class SignatureException extends RuntimeException {
        public SignatureException(String message) {
            super(message);
        }
    }
}
