package io.edgerent.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of CBOR (RFC 8949) the protocol uses: unsigned and negative integers, byte and text
 * strings, arrays, maps with text keys, booleans and null, all of definite length.
 *
 * <p>Decoding is strict because every byte comes from the network: anything outside that subset,
 * a length beyond the input, nesting deeper than {@value #MAX_DEPTH}, duplicate keys or trailing
 * bytes is a {@link MalformedMessageException}, never a partial result.
 */
public final class Cbor {
    static final int MAX_DEPTH = 16;

    private Cbor() {}

    /** Encodes maps (text keys), lists, strings, byte arrays, integers, booleans and null. */
    public static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, value);
        return out.toByteArray();
    }

    /** Decodes exactly one data item that must fill the whole input. */
    public static Object decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new MalformedMessageException("empty payload, expected CBOR");
        }
        Reader reader = new Reader(bytes);
        Object value = reader.item(0);
        if (reader.pos != bytes.length) {
            throw new MalformedMessageException("trailing bytes after CBOR item at offset " + reader.pos);
        }
        return value;
    }

    /** Decodes a payload that must be a CBOR map. */
    public static Fields decodeMap(byte[] bytes) {
        Object value = decode(bytes);
        if (!(value instanceof Map)) {
            throw new MalformedMessageException("expected a CBOR map");
        }
        return new Fields(castMap(value));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> castMap(Object value) {
        return (Map<String, Object>) value;
    }

    private static void write(ByteArrayOutputStream out, Object value) {
        if (value == null) {
            out.write(0xf6);
        } else if (value instanceof Boolean b) {
            out.write(b ? 0xf5 : 0xf4);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            long n = ((Number) value).longValue();
            if (n >= 0) {
                head(out, 0, n);
            } else {
                head(out, 1, -1 - n);
            }
        } else if (value instanceof byte[] bytes) {
            head(out, 2, bytes.length);
            out.writeBytes(bytes);
        } else if (value instanceof String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            head(out, 3, utf8.length);
            out.writeBytes(utf8);
        } else if (value instanceof List<?> list) {
            head(out, 4, list.size());
            for (Object item : list) {
                write(out, item);
            }
        } else if (value instanceof Map<?, ?> map) {
            head(out, 5, map.size());
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String)) {
                    throw new IllegalArgumentException("map keys must be text, got " + entry.getKey());
                }
                write(out, entry.getKey());
                write(out, entry.getValue());
            }
        } else {
            throw new IllegalArgumentException(
                    "cannot encode " + value.getClass().getName() + " as CBOR");
        }
    }

    private static void head(ByteArrayOutputStream out, int major, long n) {
        int type = major << 5;
        if (n < 24) {
            out.write(type | (int) n);
        } else if (n < 0x100) {
            out.write(type | 24);
            out.write((int) n);
        } else if (n < 0x10000) {
            out.write(type | 25);
            out.write((int) (n >> 8));
            out.write((int) n);
        } else if (n < 0x100000000L) {
            out.write(type | 26);
            for (int shift = 24; shift >= 0; shift -= 8) {
                out.write((int) (n >> shift));
            }
        } else {
            out.write(type | 27);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (n >> shift));
            }
        }
    }

    private static final class Reader {
        private final byte[] in;
        private int pos;

        Reader(byte[] in) {
            this.in = in;
        }

        Object item(int depth) {
            if (depth > MAX_DEPTH) {
                throw new MalformedMessageException("CBOR nested deeper than " + MAX_DEPTH);
            }
            int initial = next();
            int major = initial >>> 5;
            int info = initial & 0x1f;
            if (major == 7) {
                return switch (info) {
                    case 20 -> Boolean.FALSE;
                    case 21 -> Boolean.TRUE;
                    case 22 -> null;
                    default ->
                        throw new MalformedMessageException(
                                "unsupported CBOR simple value or float (0x" + Integer.toHexString(initial) + ")");
                };
            }
            long n = argument(info);
            switch (major) {
                case 0:
                    return nonNegative(n);
                case 1:
                    return -1 - nonNegative(n);
                case 2:
                    return take(n);
                case 3:
                    return utf8(take(n));
                case 4: {
                    int count = count(n);
                    List<Object> list = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        list.add(item(depth + 1));
                    }
                    return list;
                }
                case 5: {
                    int count = count(n);
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (int i = 0; i < count; i++) {
                        if (!(item(depth + 1) instanceof String key)) {
                            throw new MalformedMessageException("CBOR map key is not text");
                        }
                        if (map.containsKey(key)) {
                            throw new MalformedMessageException("duplicate CBOR map key '" + key + "'");
                        }
                        map.put(key, item(depth + 1));
                    }
                    return map;
                }
                default:
                    throw new MalformedMessageException(
                            "unsupported CBOR major type " + major + " (tags are not used)");
            }
        }

        private long argument(int info) {
            if (info < 24) {
                return info;
            }
            int size = switch (info) {
                case 24 -> 1;
                case 25 -> 2;
                case 26 -> 4;
                case 27 -> 8;
                default -> throw new MalformedMessageException("indefinite or reserved CBOR length (" + info + ")");
            };
            long n = 0;
            for (int i = 0; i < size; i++) {
                n = (n << 8) | next();
            }
            return n;
        }

        private static long nonNegative(long n) {
            if (n < 0) {
                throw new MalformedMessageException("CBOR integer does not fit in 64 bits");
            }
            return n;
        }

        /** Each element takes at least one byte, so a count beyond the input is a lie. */
        private int count(long n) {
            if (n < 0 || n > in.length - pos) {
                throw new MalformedMessageException("CBOR length " + Long.toUnsignedString(n) + " exceeds the payload");
            }
            return (int) n;
        }

        private byte[] take(long n) {
            int length = count(n);
            byte[] bytes = new byte[length];
            System.arraycopy(in, pos, bytes, 0, length);
            pos += length;
            return bytes;
        }

        private int next() {
            if (pos >= in.length) {
                throw new MalformedMessageException("CBOR payload truncated at offset " + pos);
            }
            return in[pos++] & 0xff;
        }

        private static String utf8(byte[] bytes) {
            try {
                return StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new MalformedMessageException("CBOR text string is not valid UTF-8");
            }
        }
    }
}
