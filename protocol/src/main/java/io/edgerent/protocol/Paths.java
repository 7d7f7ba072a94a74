package io.edgerent.protocol;

/** CoAP resource paths of the hub. */
public final class Paths {
    /** POST (admin): issue a one-time owner registration token. */
    public static final String TOKENS = "tokens";
    /**
     * POST: register a device; children {@code DEVICE/heartbeat} (POST), {@code DEVICE/assignment} (GET) and
     * {@code DEVICE/assignment-version} (GET, observable: a device observes it and GETs its assignment when it changes).
     */
    public static final String DEVICES = "devices";

    public static final String HEARTBEAT = "heartbeat";
    public static final String ASSIGNMENT = "assignment";
    public static final String ASSIGNMENT_VERSION = "assignment-version";
    /** GET: the devices for rent. */
    public static final String LISTINGS = "listings";
    /** POST (signed): rent; children {@code mine} and {@code end}, both POST and signed. */
    public static final String RENTALS = "rentals";

    public static final String MINE = "mine";
    public static final String END = "end";
    /** POST: a renter's voucher (signed inside); answers the channel's status. */
    public static final String VOUCHERS = "vouchers";
    /** POST (signed): more hours and deposit for a rental. */
    public static final String EXTEND = "extend";
    /** POST (signed): one channel's status. */
    public static final String CHANNEL = "channel";
    /** POST {@code devices/DEVICE/usage}: a device's usage report, signed with the device key. */
    public static final String USAGE = "usage";
    /**
     * POST {@code devices/DEVICE/wipes}: the wipe record of an ended rental, signed with the device key;
     * POST {@code rentals/wipe} (signed by the renter): read it.
     */
    public static final String WIPES = "wipes";

    public static final String WIPE = "wipe";
    /** POST (signed): the renter's wallet; child {@code move} (POST, admin): deposit or withdraw through the rail. */
    public static final String WALLET = "wallet";

    public static final String MOVE = "move";
    /** POST (signed): a one-time link (2 minutes) that signs the renter key into the hub's web pages. */
    public static final String WEB_SIGNIN = "web-signin";
    /** GET: the hub's SSH host key (OpenSSH line, field {@code hubKey}), for a device to check its pin before registering. */
    public static final String HUB_KEY = "hub-key";
    /** POST (admin): an owner's earnings per device. */
    public static final String EARNINGS = "earnings";
    /**
     * Between linked hubs, over DTLS with the hubs' own keys: {@code federation/listings} (GET, this
     * hub's listings signed by it), {@code federation/rent} and {@code federation/relay} (POST, a
     * renter's signed request passed on by the hub the renter uses), {@code federation/settlement}
     * (POST, a passed-on rental's state). {@code federation/peers} (POST, admin) adds, removes and
     * lists the links.
     */
    public static final String FEDERATION = "federation";

    public static final String RENT = "rent";
    public static final String RELAY = "relay";
    public static final String SETTLEMENT = "settlement";
    public static final String PEERS = "peers";

    private Paths() {}
}
