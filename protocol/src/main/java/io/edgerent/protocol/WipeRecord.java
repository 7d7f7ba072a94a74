package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a device did to erase a rental when it ended, and what it checked afterwards: the renter's
 * evidence that nothing of theirs survives. Sent signed with the device key; renters read it.
 */
public record WipeRecord(
        String rental,
        long startedAt,
        long finishedAt,
        String method,
        List<String> steps,
        List<String> checks,
        boolean verified) {
    private static final int MAX_LINES = 64;
    private static final int MAX_LINE = 500;

    public WipeRecord {
        steps = List.copyOf(steps);
        checks = List.copyOf(checks);
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rental", rental);
        m.put("started", startedAt);
        m.put("finished", finishedAt);
        m.put("method", method);
        m.put("steps", steps);
        m.put("checks", checks);
        m.put("verified", verified);
        return Cbor.encode(m);
    }

    public static WipeRecord decode(byte[] cbor) {
        return from(Cbor.decodeMap(cbor));
    }

    public static WipeRecord from(Fields f) {
        String rental = f.text("rental");
        if (!Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        long started = f.integer("started", 0, Long.MAX_VALUE);
        long finished = f.integer("finished", started, Long.MAX_VALUE);
        String method = f.text("method");
        if (!method.matches("[a-z0-9-]{1,32}")) {
            throw new MalformedMessageException("field 'method' must be a short lower-case name");
        }
        return new WipeRecord(
                rental, started, finished, method, lines(f, "steps"), lines(f, "checks"), f.bool("verified"));
    }

    private static List<String> lines(Fields f, String name) {
        List<String> lines = f.texts(name);
        if (lines.size() > MAX_LINES || lines.stream().anyMatch(l -> l.length() > MAX_LINE)) {
            throw new MalformedMessageException(
                    "field '" + name + "' holds at most " + MAX_LINES + " lines of " + MAX_LINE + " characters");
        }
        return lines;
    }
}
