package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RentRequestTest {
    @Test
    void an_egress_cap_is_gb_of_ten_to_the_nine_bytes_with_decimals_rounded_down_within_100_tb() {
        assertEquals(10_000_000_000L, RentRequest.egressBytes("10"));
        assertEquals(1_500_000_000L, RentRequest.egressBytes(" 1.5 "));
        assertEquals(1L, RentRequest.egressBytes("0.0000000019"));
        assertEquals(RentRequest.MOST_EGRESS_BYTES, RentRequest.egressBytes("100000"));
        for (String bad : new String[] {"-1", "100000.000000001", "ten", "", "1e400"}) {
            assertThrows(MalformedMessageException.class, () -> RentRequest.egressBytes(bad), bad);
        }
    }

    @Test
    void the_cap_travels_in_the_signed_request_and_an_old_client_gets_the_default() {
        RentRequest capped = new RentRequest("d-0123456789ab", 1, "k", 3600, 3600, Template.BASE, null, 42);
        assertEquals(42, RentRequest.from(Cbor.decodeMap(capped.encode())).maxEgressBytes());
        assertEquals(
                RentRequest.DEFAULT_MAX_EGRESS_BYTES,
                RentRequest.from(Cbor.decodeMap(Cbor.encode(java.util.Map.of(
                                "device",
                                "d-0123456789ab",
                                "hours",
                                1L,
                                "sshKey",
                                "k",
                                "maxPerHour",
                                3600L,
                                "deposit",
                                3600L))))
                        .maxEgressBytes());
    }
}
