package io.edgerent.protocol;

import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A renter's promise to pay: the cumulative amount owed on a channel (the rental), numbered by a
 * growing sequence, signed with the renter's key bound to the channel. Each voucher replaces the
 * one before; the hub settles on the last valid one.
 */
public record Voucher(String channel, long amount, long sequence, long issuedAt, byte[] signature) {
    public static Voucher sign(KeyPair renter, String channel, long amount, long sequence, long issuedAt) {
        return new Voucher(
                channel,
                amount,
                sequence,
                issuedAt,
                Ed25519.sign(renter.getPrivate(), signedBytes(channel, amount, sequence, issuedAt)));
    }

    public boolean verifies(byte[] renterKey) {
        return Ed25519.verify(renterKey, signedBytes(channel, amount, sequence, issuedAt), signature);
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("channel", channel);
        m.put("amount", amount);
        m.put("seq", sequence);
        m.put("issuedAt", issuedAt);
        m.put("sig", signature);
        return Cbor.encode(m);
    }

    public static Voucher decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        String channel = f.text("channel");
        if (!Names.isRentalName(channel)) {
            throw new MalformedMessageException("field 'channel' is not a rental name");
        }
        return new Voucher(
                channel,
                f.integer("amount", 0, Long.MAX_VALUE),
                f.integer("seq", 0, Long.MAX_VALUE),
                f.integer("issuedAt"),
                f.bytes("sig"));
    }

    private static byte[] signedBytes(String channel, long amount, long sequence, long issuedAt) {
        return Cbor.encode(List.of("edgerent-voucher-v1", channel, amount, sequence, issuedAt));
    }
}
