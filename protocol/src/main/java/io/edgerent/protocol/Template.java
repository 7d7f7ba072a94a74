package io.edgerent.protocol;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a renter's container runs besides its sshd: nothing ({@code base}), a static web server
 * for {@code /data/www} ({@code web}), or a password-guarded file host with share links
 * ({@code files}). Owners choose which their device offers; renters pick one at rent time.
 */
public enum Template {
    BASE,
    WEB,
    FILES;

    /** The name on the wire, in settings and on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Template parse(String id) {
        for (Template t : values()) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        throw new MalformedMessageException("no template '" + id + "' (base, web or files)");
    }

    /** A comma-separated list such as {@code base,web}; at least one, none twice. */
    public static Set<Template> parseList(String list) {
        Set<Template> templates = EnumSet.noneOf(Template.class);
        for (String id : list.split(",", -1)) {
            if (!templates.add(parse(id.strip()))) {
                throw new MalformedMessageException("template '" + id.strip() + "' is listed twice");
            }
        }
        return templates;
    }

    public static String join(Set<Template> templates) {
        return String.join(",", ids(templates));
    }

    public static List<String> ids(Set<Template> templates) {
        List<String> ids = new ArrayList<>();
        templates.forEach(t -> ids.add(t.id()));
        return ids;
    }

    /** Refuses a file-host password hash that is not 64 lower-case hex digits; null (no password) passes. */
    static void checkPasswordSha256(String hash) {
        if (hash != null && !hash.matches("[0-9a-f]{64}")) {
            throw new MalformedMessageException("field 'passwordSha256' must be 64 lower-case hex digits");
        }
    }

    /** Templates from a CBOR field, or only {@code base} when a peer too old to say sent none. */
    static Set<Template> from(Fields f, String field) {
        if (!f.has(field)) {
            return EnumSet.of(BASE);
        }
        List<String> ids = f.texts(field);
        if (ids.isEmpty()) {
            throw new MalformedMessageException("field '" + field + "' must name at least one template");
        }
        return parseList(String.join(",", ids));
    }
}
