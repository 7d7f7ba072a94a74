package io.edgerent.protocol;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Identifiers the hub hands out, and the checks applied to every one that comes back. */
public final class Names {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern DEVICE = Pattern.compile("d-[0-9a-f]{12}");
    private static final Pattern RENTAL = Pattern.compile("r-[0-9a-f]{12}");
    /** The name a hub operator gives a linked hub: short, lower case, usable in a URL and an account name. */
    private static final Pattern HUB = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    /** Compiled once: every heartbeat checks its region twice, and String.matches compiles at every call. */
    private static final Pattern REGION = Pattern.compile("[\\p{L}\\p{N} .,'()_-]{0,40}");

    static final int MAX_TEXT = 256;

    private Names() {}

    public static String newDeviceId() {
        return "d-" + randomHex(6);
    }

    public static String newRentalName() {
        return "r-" + randomHex(6);
    }

    /** 128 random bits, hex: registration tokens and secrets. */
    public static String newSecret() {
        return randomHex(16);
    }

    public static boolean isDeviceId(String text) {
        return text != null && DEVICE.matcher(text).matches();
    }

    public static boolean isRentalName(String text) {
        return text != null && RENTAL.matcher(text).matches();
    }

    public static boolean isHubName(String text) {
        return text != null && HUB.matcher(text).matches();
    }

    /** What a region may be, as refusals say it. */
    public static final String REGION_RULE = "up to 40 letters, digits, spaces and . , ' ( ) _ -";

    /** Where an owner says a device is: {@link #REGION_RULE}; "" when not said. */
    public static boolean isRegion(String text) {
        return text != null && REGION.matcher(text).matches();
    }

    static String region(Fields f, String name) {
        String text = f.text(name);
        if (!isRegion(text)) {
            throw new MalformedMessageException("field '" + name + "' is not a region (" + REGION_RULE + ")");
        }
        return text;
    }

    static String shortText(Fields f, String name) {
        String text = f.text(name);
        if (text.length() > MAX_TEXT) {
            throw new MalformedMessageException("field '" + name + "' is longer than " + MAX_TEXT + " characters");
        }
        return text;
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
