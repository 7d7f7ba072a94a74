package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typed, checked access to the fields of a decoded CBOR map; a missing or mistyped field names itself. */
public final class Fields {
    private final Map<String, Object> map;

    public Fields(Map<String, Object> map) {
        this.map = map;
    }

    /** Whether the field is present and not null. */
    public boolean has(String name) {
        return map.get(name) != null;
    }

    public String text(String name) {
        return require(name, String.class, "text");
    }

    public String optionalText(String name) {
        return map.get(name) == null ? null : text(name);
    }

    public long integer(String name) {
        return require(name, Long.class, "an integer");
    }

    public long integer(String name, long min, long max) {
        long value = integer(name);
        if (value < min || value > max) {
            throw new MalformedMessageException(
                    "field '" + name + "' must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    public byte[] bytes(String name) {
        return require(name, byte[].class, "a byte string");
    }

    public boolean bool(String name) {
        return require(name, Boolean.class, "a boolean");
    }

    public Fields map(String name) {
        return new Fields(Cbor.castMap(require(name, Map.class, "a map")));
    }

    public Fields optionalMap(String name) {
        return map.get(name) == null ? null : map(name);
    }

    public List<String> texts(String name) {
        List<String> texts = new ArrayList<>();
        for (Object item : require(name, List.class, "an array")) {
            if (!(item instanceof String text)) {
                throw new MalformedMessageException("field '" + name + "' must hold only text");
            }
            texts.add(text);
        }
        return texts;
    }

    public List<Fields> maps(String name) {
        List<Fields> maps = new ArrayList<>();
        for (Object item : require(name, List.class, "an array")) {
            if (!(item instanceof Map)) {
                throw new MalformedMessageException("field '" + name + "' must hold only maps");
            }
            maps.add(new Fields(Cbor.castMap(item)));
        }
        return maps;
    }

    private <T> T require(String name, Class<T> type, String what) {
        Object value = map.get(name);
        if (value == null) {
            throw new MalformedMessageException("field '" + name + "' is missing");
        }
        if (!type.isInstance(value)) {
            throw new MalformedMessageException("field '" + name + "' must be " + what);
        }
        return type.cast(value);
    }
}
