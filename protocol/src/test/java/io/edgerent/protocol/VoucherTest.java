package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import org.junit.jupiter.api.Test;

class VoucherTest {
    private final KeyPair renter = Ed25519.generate();
    private final byte[] renterKey = Ed25519.raw(renter.getPublic());

    @Test
    void a_voucher_verifies_with_the_renters_key_after_the_wire() {
        Voucher v = Voucher.decode(
                Voucher.sign(renter, "r-0123456789ab", 500, 3, 1000).encode());
        assertTrue(v.verifies(renterKey));
    }

    @Test
    void a_voucher_with_any_field_changed_or_another_key_does_not_verify() {
        Voucher v = Voucher.sign(renter, "r-0123456789ab", 500, 3, 1000);
        assertFalse(new Voucher(v.channel(), 501, 3, 1000, v.signature()).verifies(renterKey));
        assertFalse(new Voucher(v.channel(), 500, 4, 1000, v.signature()).verifies(renterKey));
        assertFalse(new Voucher("r-0123456789ac", 500, 3, 1000, v.signature()).verifies(renterKey));
        assertFalse(v.verifies(Ed25519.raw(Ed25519.generate().getPublic())));
        assertFalse(new Voucher(v.channel(), 500, 3, 1000, new byte[3]).verifies(renterKey));
    }

    @Test
    void bouncy_castle_signatures_verify_with_the_jdk_and_back() throws Exception {
        byte[] message = "edgerent".getBytes();
        byte[] bc = Ed25519.sign(renter.getPrivate(), message);
        java.security.Signature jdk = java.security.Signature.getInstance("Ed25519");
        jdk.initVerify(renter.getPublic());
        jdk.update(message);
        assertTrue(jdk.verify(bc), "the same RFC 8032 signature the SSH gateway checks");
    }
}
