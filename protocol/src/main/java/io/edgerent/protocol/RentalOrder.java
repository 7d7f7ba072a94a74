package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the hub asks a device to serve: a container of a template, for these SSH keys, until a time;
 * paused while payment lags behind what is due. The file host template comes with the SHA-256 of
 * its password (else null).
 */
public record RentalOrder(
        String name,
        Template template,
        List<String> authorizedKeys,
        long endsAt,
        boolean paused,
        String passwordSha256) {
    public RentalOrder {
        Template.checkPasswordSha256(passwordSha256);
    }

    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("image", template.id());
        m.put("keys", authorizedKeys);
        m.put("endsAt", endsAt);
        m.put("paused", paused);
        if (passwordSha256 != null) {
            m.put("passwordSha256", passwordSha256);
        }
        return m;
    }

    public static RentalOrder from(Fields f) {
        String name = f.text("name");
        if (!Names.isRentalName(name)) {
            throw new MalformedMessageException("field 'name' is not a rental name");
        }
        return new RentalOrder(
                name,
                Template.parse(f.text("image")),
                f.texts("keys"),
                f.integer("endsAt"),
                f.bool("paused"),
                f.optionalText("passwordSha256"));
    }
}
