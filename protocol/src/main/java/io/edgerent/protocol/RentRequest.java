package io.edgerent.protocol;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of a signed rent request: which device, for how long, the OpenSSH key that may log in,
 * the most the renter pays per hour, the deposit moved from the renter's wallet into escrow, the
 * template, and for the file host the SHA-256 (64 hex digits) of the password guarding it; the
 * password itself never leaves the renter. {@code maxEgressBytes} is the most egress the renter agrees to pay for
 * (at the device's price per GB): billed egress stops there, and the rental ends when it is reached.
 */
public record RentRequest(
        String deviceId,
        int hours,
        String sshKey,
        long maxPricePerHour,
        long deposit,
        Template template,
        String passwordSha256,
        long maxEgressBytes) {
    public static final int MAX_HOURS = 24 * 31;
    /** The egress cap of a renter who did not choose one: 10 GB. */
    public static final long DEFAULT_MAX_EGRESS_BYTES = 10_000_000_000L;
    /** The largest cap a renter may choose: 100 TB, more than a Pi sends in a month. */
    public static final long MOST_EGRESS_BYTES = 100_000_000_000_000L;

    public RentRequest {
        Template.checkPasswordSha256(passwordSha256);
        if (maxEgressBytes < 0 || maxEgressBytes > MOST_EGRESS_BYTES) {
            throw new MalformedMessageException("the egress cap is 0 to " + MOST_EGRESS_BYTES + " bytes");
        }
    }

    public RentRequest(
            String deviceId,
            int hours,
            String sshKey,
            long maxPricePerHour,
            long deposit,
            Template template,
            String passwordSha256) {
        this(deviceId, hours, sshKey, maxPricePerHour, deposit, template, passwordSha256, DEFAULT_MAX_EGRESS_BYTES);
    }

    public RentRequest(String deviceId, int hours, String sshKey, long maxPricePerHour, long deposit) {
        this(deviceId, hours, sshKey, maxPricePerHour, deposit, Template.BASE, null);
    }

    /**
     * An egress cap as a renter writes it: GB of 10^9 bytes, decimals allowed, 0 to 100,000 (100 TB); anything else
     * is malformed. The command line's --max-egress-gb and the rent form's field read it the same way.
     */
    public static long egressBytes(String gb) {
        try {
            BigDecimal bytes = new BigDecimal(gb.strip()).movePointRight(9);
            if (bytes.signum() < 0 || bytes.compareTo(BigDecimal.valueOf(MOST_EGRESS_BYTES)) > 0) {
                throw new NumberFormatException();
            }
            return bytes.setScale(0, RoundingMode.DOWN).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new MalformedMessageException("the egress cap is a number of GB from 0 to 100000, got '" + gb + "'");
        }
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", deviceId);
        m.put("hours", hours);
        m.put("sshKey", sshKey);
        m.put("maxPerHour", maxPricePerHour);
        m.put("deposit", deposit);
        m.put("template", template.id());
        if (passwordSha256 != null) {
            m.put("passwordSha256", passwordSha256);
        }
        m.put("maxEgress", maxEgressBytes);
        return Cbor.encode(m);
    }

    public static RentRequest from(Fields f) {
        String device = f.text("device");
        if (!Names.isDeviceId(device)) {
            throw new MalformedMessageException("field 'device' is not a device id");
        }
        String key = f.text("sshKey");
        if (key.length() > 16 * 1024) {
            throw new MalformedMessageException("field 'sshKey' is too long");
        }
        return new RentRequest(
                device,
                (int) f.integer("hours", 1, MAX_HOURS),
                key,
                f.integer("maxPerHour", 0, Prices.MAX),
                f.integer("deposit", 0, Long.MAX_VALUE / 4),
                f.has("template") ? Template.parse(f.text("template")) : Template.BASE,
                f.optionalText("passwordSha256"),
                f.has("maxEgress") ? f.integer("maxEgress", 0, MOST_EGRESS_BYTES) : DEFAULT_MAX_EGRESS_BYTES);
    }
}
