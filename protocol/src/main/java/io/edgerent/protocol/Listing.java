package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A device as the marketplace shows it. {@code home} is null for a device of the hub answering, else
 * the name that hub gives the linked hub the device belongs to; {@code stale} says that hub has not
 * been heard from lately, so the listing may be out of date (it disappears when it expires).
 * {@code region} is where the owner says the device is ("" when not said); {@code uptimePermille} the
 * share of the last 30 days (or of its time on the hub, if shorter) the device was online, in
 * thousandths, or -1 when its hub did not say. {@code flagged} is, when its hub refused an impossible usage report
 * from it (more egress than its link carries, more time than has passed, usage of a rental it does not serve), why
 * ("" otherwise): a device that claims what it did not serve is marked where renters choose.
 */
public record Listing(
        String deviceId,
        String owner,
        DeviceState state,
        boolean online,
        HardwareFacts facts,
        Prices prices,
        Set<Template> templates,
        String home,
        boolean stale,
        String region,
        int uptimePermille,
        String flagged) {
    /** A listing of the hub's own device, with no region or uptime. */
    public Listing(
            String deviceId,
            String owner,
            DeviceState state,
            boolean online,
            HardwareFacts facts,
            Prices prices,
            Set<Template> templates) {
        this(deviceId, owner, state, online, facts, prices, templates, null, false, "", -1, "");
    }

    /** This listing as the hub linked to its home as {@code home} shows it. */
    public Listing from(String home, boolean stale) {
        return new Listing(
                deviceId, owner, state, online, facts, prices, templates, home, stale, region, uptimePermille, flagged);
    }

    /** One word for the market: free, rented, wiping, new, offline, or stale (its hub not heard from lately). */
    public String availability() {
        if (stale) {
            return "stale";
        }
        if (!online) {
            return "offline";
        }
        return switch (state) {
            case LISTED -> "free";
            case PREPARING, RENTED -> "rented";
            case WIPING -> "wiping";
            case UNREGISTERED -> "new";
        };
    }

    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", deviceId);
        m.put("owner", owner);
        m.put("state", state.name());
        m.put("online", online);
        m.put("facts", facts.toCbor());
        m.put("prices", prices.toCbor());
        m.put("templates", Template.ids(templates));
        m.put("region", region);
        m.put("uptime", uptimePermille);
        if (!flagged.isEmpty()) {
            m.put("flagged", flagged);
        }
        if (home != null) {
            m.put("home", home);
            m.put("stale", stale);
        }
        return m;
    }

    public static Listing from(Fields f) {
        if (!Names.isDeviceId(f.text("device"))) {
            throw new MalformedMessageException("field 'device' is not a device id");
        }
        if (f.has("home") && !Names.isHubName(f.text("home"))) {
            throw new MalformedMessageException("field 'home' is not a hub name");
        }
        return new Listing(
                f.text("device"),
                f.text("owner"),
                DeviceState.parse(f.text("state")),
                f.bool("online"),
                HardwareFacts.from(f.map("facts")),
                Prices.from(f.map("prices")),
                Template.from(f, "templates"),
                f.optionalText("home"),
                f.has("stale") && f.bool("stale"),
                f.has("region") ? Names.region(f, "region") : "",
                f.has("uptime") ? (int) f.integer("uptime", -1, 1000) : -1,
                f.has("flagged") ? bounded(f.text("flagged")) : "");
    }

    /** A flag's reason as a linked hub sent it: at most 200 characters. */
    private static String bounded(String reason) {
        if (reason.length() > 200) {
            throw new MalformedMessageException("field 'flagged' is longer than 200 characters");
        }
        return reason;
    }

    public static byte[] encodeAll(List<Listing> listings) {
        List<Object> items = new ArrayList<>();
        listings.forEach(l -> items.add(l.toCbor()));
        return Cbor.encode(Map.of("listings", items));
    }

    public static List<Listing> decodeAll(byte[] payload) {
        return Cbor.decodeMap(payload).maps("listings").stream()
                .map(Listing::from)
                .toList();
    }
}
