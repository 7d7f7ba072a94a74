package io.edgerent.protocol;

import java.math.BigInteger;
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

    /** What {@code seconds} of rental cost, rounded down (billed by the whole second). */
    public long forSeconds(long seconds) {
        return prorate(seconds, perHour, 3600);
    }

    /** What {@code bytes} of egress cost, rounded down (a GB is 10^9 bytes). */
    public long forBytes(long bytes) {
        return prorate(bytes, perGb, 1_000_000_000L);
    }

    /** quantity x price / unit without overflow, capped at Long.MAX_VALUE. */
    private static long prorate(long quantity, long price, long unit) {
        BigInteger cost =
                BigInteger.valueOf(quantity).multiply(BigInteger.valueOf(price)).divide(BigInteger.valueOf(unit));
        return cost.min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact();
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
