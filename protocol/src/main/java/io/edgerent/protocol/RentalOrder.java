package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the hub asks a device to serve: a container from an image, for these SSH keys, until a time;
 * paused while payment lags behind what is due.
 */
public record RentalOrder(String name, String image, List<String> authorizedKeys, long endsAt, boolean paused) {
    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("image", image);
        m.put("keys", authorizedKeys);
        m.put("endsAt", endsAt);
        m.put("paused", paused);
        return m;
    }

    public static RentalOrder from(Fields f) {
        String name = f.text("name");
        if (!Names.isRentalName(name)) {
            throw new MalformedMessageException("field 'name' is not a rental name");
        }
        return new RentalOrder(name, f.text("image"), f.texts("keys"), f.integer("endsAt"), f.bool("paused"));
    }
}
