package io.edgerent.protocol;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A device saying it is alive, in which governor state, serving which rental (or none), at which
 * prices, whether its owner offers it for new rentals now (listing on, within its available
 * hours), which templates it offers and where its owner says it is. A device too old to say is
 * offered, with the base template, and in no region. {@code homeProof}, sent with a device's first heartbeat after
 * it starts (null otherwise), is its signature naming this hub its home ({@link HomeProof}).
 */
public record Heartbeat(
        DeviceState state,
        String rental,
        Prices prices,
        boolean offered,
        Set<Template> templates,
        String region,
        byte[] homeProof) {
    public Heartbeat {
        templates = templates.isEmpty() ? EnumSet.of(Template.BASE) : EnumSet.copyOf(templates);
        if (!Names.isRegion(region)) {
            throw new IllegalArgumentException("not a region: " + region);
        }
    }

    public Heartbeat(
            DeviceState state, String rental, Prices prices, boolean offered, Set<Template> templates, String region) {
        this(state, rental, prices, offered, templates, region, null);
    }

    public Heartbeat(DeviceState state, String rental, Prices prices, boolean offered, Set<Template> templates) {
        this(state, rental, prices, offered, templates, "");
    }

    public Heartbeat(DeviceState state, String rental, Prices prices, boolean offered) {
        this(state, rental, prices, offered, EnumSet.of(Template.BASE));
    }

    public Heartbeat(DeviceState state, String rental, Prices prices) {
        this(state, rental, prices, true);
    }

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state.name());
        m.put("rental", rental);
        m.put("prices", prices.toCbor());
        m.put("offered", offered);
        m.put("templates", Template.ids(templates));
        m.put("region", region);
        if (homeProof != null) {
            m.put("homeProof", homeProof);
        }
        return Cbor.encode(m);
    }

    public static Heartbeat decode(byte[] payload) {
        Fields f = Cbor.decodeMap(payload);
        String rental = f.optionalText("rental");
        if (rental != null && !Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        return new Heartbeat(
                DeviceState.parse(f.text("state")),
                rental,
                Prices.from(f.map("prices")),
                !f.has("offered") || f.bool("offered"),
                Template.from(f, "templates"),
                f.has("region") ? Names.region(f, "region") : "",
                f.has("homeProof") ? signature(f.bytes("homeProof")) : null);
    }

    private static byte[] signature(byte[] bytes) {
        if (bytes.length != 64) {
            throw new MalformedMessageException("field 'homeProof' is not an Ed25519 signature (64 bytes)");
        }
        return bytes;
    }
}
