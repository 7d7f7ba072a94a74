package io.edgerent.protocol;

/** CoAP resource paths of the hub. */
public final class Paths {
    /** POST (admin): issue a one-time owner registration token. */
    public static final String TOKENS = "tokens";
    /** POST: register a device; children {@code DEVICE/heartbeat} (POST) and {@code DEVICE/assignment} (GET, observable). */
    public static final String DEVICES = "devices";
    public static final String HEARTBEAT = "heartbeat";
    public static final String ASSIGNMENT = "assignment";
    /** GET: the devices for rent. */
    public static final String LISTINGS = "listings";
    /** POST (signed): rent; children {@code mine} and {@code end}, both POST and signed. */
    public static final String RENTALS = "rentals";
    public static final String MINE = "mine";
    public static final String END = "end";

    private Paths() {}
}
