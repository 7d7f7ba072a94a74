package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rental's payment channel as its renter sees it. {@code due} is what the metered time (and
 * egress) costs so far, {@code paid} the last accepted voucher. After settlement {@code ownerShare},
 * {@code hubFee} and {@code refund} add up to the deposit. {@code maxEgressBytes} is the egress cap the renter
 * chose; {@code note} says, when the payment rules ended or paused the rental for a reason other than time, why
 * ("" otherwise).
 */
public record ChannelStatus(
        String rental,
        String state,
        long deposit,
        long due,
        long paid,
        long lastSequence,
        long billedSeconds,
        long egressBytes,
        Prices prices,
        boolean paused,
        boolean settled,
        long ownerShare,
        long hubFee,
        long refund,
        long maxEgressBytes,
        String note) {

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rental", rental);
        m.put("state", state);
        m.put("deposit", deposit);
        m.put("due", due);
        m.put("paid", paid);
        m.put("seq", lastSequence);
        m.put("billedSeconds", billedSeconds);
        m.put("egress", egressBytes);
        m.put("prices", prices.toCbor());
        m.put("paused", paused);
        m.put("settled", settled);
        m.put("owner", ownerShare);
        m.put("fee", hubFee);
        m.put("refund", refund);
        m.put("maxEgress", maxEgressBytes);
        m.put("note", note);
        return Cbor.encode(m);
    }

    public static ChannelStatus decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        return new ChannelStatus(
                f.text("rental"),
                f.text("state"),
                f.integer("deposit"),
                f.integer("due"),
                f.integer("paid"),
                f.integer("seq"),
                f.integer("billedSeconds"),
                f.integer("egress"),
                Prices.from(f.map("prices")),
                f.bool("paused"),
                f.bool("settled"),
                f.integer("owner"),
                f.integer("fee"),
                f.integer("refund"),
                f.has("maxEgress") ? f.integer("maxEgress") : RentRequest.DEFAULT_MAX_EGRESS_BYTES,
                f.has("note") ? f.text("note") : "");
    }
}
