package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CborTest {
    private static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    @Test
    void encodes_the_rfc_8949_examples() {
        assertArrayEquals(hex("00"), Cbor.encode(0));
        assertArrayEquals(hex("1818"), Cbor.encode(24));
        assertArrayEquals(hex("1903e8"), Cbor.encode(1000));
        assertArrayEquals(hex("1b000000e8d4a51000"), Cbor.encode(1000000000000L));
        assertArrayEquals(hex("3863"), Cbor.encode(-100));
        assertArrayEquals(hex("6449455446"), Cbor.encode("IETF"));
        assertArrayEquals(hex("83010203"), Cbor.encode(List.of(1, 2, 3)));
        assertArrayEquals(hex("a161616161"), Cbor.encode(Map.of("a", "a")));
        assertArrayEquals(hex("f6"), Cbor.encode(null));
    }

    @Test
    void round_trips_every_supported_type() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", Long.MAX_VALUE);
        m.put("neg", Long.MIN_VALUE);
        m.put("t", "grüße");
        m.put("b", new byte[] {1, 2, 3});
        m.put("l", List.of("x", true, false));
        m.put("z", null);
        Fields f = Cbor.decodeMap(Cbor.encode(m));
        assertEquals(Long.MAX_VALUE, f.integer("n"));
        assertEquals(Long.MIN_VALUE, f.integer("neg"));
        assertEquals("grüße", f.text("t"));
        assertArrayEquals(new byte[] {1, 2, 3}, f.bytes("b"));
        assertEquals(null, f.optionalText("z"));
    }

    @Test
    void malformed_input_is_rejected_with_a_reason() {
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(new byte[0]));
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("0000")), "trailing bytes");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("5affffffff00")), "length beyond input");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("9bffffffffffffffff")), "huge array");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("9f01ff")), "indefinite length");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("fb3ff0000000000000")), "float");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("c11a514b67b0")), "tag");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("a2616101616102")), "duplicate key");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("a10101")), "integer key");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("62c328")), "invalid utf-8");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("3bffffffffffffffff")), "64-bit overflow");
        assertThrows(MalformedMessageException.class, () -> Cbor.decode(hex("81".repeat(40) + "00")), "too deep");
    }

    @Test
    void missing_and_mistyped_fields_name_themselves() {
        Fields f = Cbor.decodeMap(Cbor.encode(Map.of("a", "text")));
        assertEquals(
                "field 'b' is missing",
                assertThrows(MalformedMessageException.class, () -> f.text("b")).getMessage());
        assertEquals(
                "field 'a' must be an integer",
                assertThrows(MalformedMessageException.class, () -> f.integer("a"))
                        .getMessage());
    }
}
