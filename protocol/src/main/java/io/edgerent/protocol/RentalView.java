package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rental as its renter sees it. {@code state} is one of {@code preparing}, {@code active},
 * {@code ending} or {@code ended}; the renter reaches an active rental with
 * {@code ssh -J NAME@HUB:SSHPORT root@NAME} and its web server (port 80 in the container) at
 * {@code httpUrl}; {@code httpBytesOut} counts what the hub's HTTP router sent out for it.
 * {@code sshHost} is null when HUB is the hub asked; a rental of a linked hub's device is reached
 * through that hub's gateway, at {@code sshHost}.
 */
public record RentalView(
        String name,
        String deviceId,
        String state,
        long endsAt,
        int sshPort,
        String httpUrl,
        long httpBytesOut,
        Template template,
        String sshHost) {
    public RentalView(
            String name,
            String deviceId,
            String state,
            long endsAt,
            int sshPort,
            String httpUrl,
            long httpBytesOut,
            Template template) {
        this(name, deviceId, state, endsAt, sshPort, httpUrl, httpBytesOut, template, null);
    }

    /** The same rental, reached through the gateway at {@code host}. */
    public RentalView at(String host) {
        return new RentalView(name, deviceId, state, endsAt, sshPort, httpUrl, httpBytesOut, template, host);
    }

    public static final String PREPARING = "preparing";
    public static final String ACTIVE = "active";
    public static final String ENDING = "ending";
    public static final String ENDED = "ended";

    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("device", deviceId);
        m.put("state", state);
        m.put("endsAt", endsAt);
        m.put("sshPort", sshPort);
        m.put("httpUrl", httpUrl);
        m.put("httpBytesOut", httpBytesOut);
        m.put("template", template.id());
        if (sshHost != null) {
            m.put("sshHost", sshHost);
        }
        return m;
    }

    public static RentalView from(Fields f) {
        return new RentalView(
                f.text("name"),
                f.text("device"),
                f.text("state"),
                f.integer("endsAt"),
                (int) f.integer("sshPort", 1, 65535),
                f.text("httpUrl"),
                f.integer("httpBytesOut", 0, Long.MAX_VALUE),
                f.has("template") ? Template.parse(f.text("template")) : Template.BASE,
                host(f.optionalText("sshHost")));
    }

    private static String host(String text) {
        if (text != null && !text.matches("[A-Za-z0-9.:\\[\\]-]{1,253}")) {
            throw new MalformedMessageException("field 'sshHost' is not a host name or address");
        }
        return text;
    }

    public byte[] encode() {
        return Cbor.encode(toCbor());
    }

    public static RentalView decode(byte[] payload) {
        return from(Cbor.decodeMap(payload));
    }

    public static byte[] encodeAll(List<RentalView> rentals) {
        List<Object> items = new ArrayList<>();
        rentals.forEach(r -> items.add(r.toCbor()));
        return Cbor.encode(Map.of("rentals", items));
    }

    public static List<RentalView> decodeAll(byte[] payload) {
        return Cbor.decodeMap(payload).maps("rentals").stream()
                .map(RentalView::from)
                .toList();
    }
}
