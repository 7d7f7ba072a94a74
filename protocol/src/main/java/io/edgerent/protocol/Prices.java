package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An owner's prices for one device, in the smallest currency unit: per hour of rental (billed by
 * the second) and per GB (10^9 bytes) of egress.
 */
public record Prices(long perHour, long perGb) {
    public static final long MAX = 1_000_000_000_000L;
    public static final Prices FREE = new Prices(0, 0);

    public Prices {
        if (perHour < 0 || perHour > MAX || perGb < 0 || perGb > MAX) {
            throw new MalformedMessageException("prices must be between 0 and " + MAX);
        }
    }

    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("perHour", perHour);
        m.put("perGb", perGb);
        return m;
    }

    public static Prices from(Fields f) {
        return new Prices(f.integer("perHour", 0, MAX), f.integer("perGb", 0, MAX));
    }
}
