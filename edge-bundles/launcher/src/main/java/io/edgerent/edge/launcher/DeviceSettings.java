package io.edgerent.edge.launcher;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The owner settings {@code edgerent device} takes on its command line: read from the metatype the edge
 * bundles declare (what the Kura web UI renders), so each setting's name, description, default and bounds
 * are declared once, in the bundle's annotations.
 */
final class DeviceSettings {
    /** Settings whose option is not {@code --} and the attribute id with '.' as '-'. */
    private static final Map<String, String> OPTION_NAMES = Map.of(
            "hub.uri",
            "--hub",
            "registration.token",
            "--token",
            "heartbeat.seconds",
            "--heartbeat",
            "keepalive.seconds",
            "--keepalive",
            "backoff.max.seconds",
            "--backoff-max",
            "base.path",
            "--volumes",
            "backend",
            "--storage-backend");
    /** Attributes the launcher sets itself (from --data). */
    private static final Set<String> NOT_OPTIONS = Set.of("data.dir");
    /** Defaults the launcher gives in place of the metatype's, which are a Pi's paths. */
    private static final Map<String, String> LAUNCHER_DEFAULTS = Map.of("base.path", "volumes under --data");

    /**
     * One attribute of a component's configuration, as an option: {@code pid} and {@code id} name it in
     * ConfigAdmin; {@code min}, {@code max} and {@code values} are null where the metatype sets none.
     */
    record Setting(
            String option,
            String pid,
            String id,
            String name,
            String description,
            String type,
            String defaultValue,
            Long min,
            Long max,
            List<String> values) {
        boolean isNumber() {
            return type.equals("Integer") || type.equals("Long");
        }

        /** The value ConfigAdmin gets for {@code text}, or why {@code text} is not one. */
        Object parse(String text) {
            if (isNumber()) {
                try {
                    long n = Long.parseLong(text.strip());
                    if (min != null && n < min || max != null && n > max) {
                        throw new NumberFormatException();
                    }
                    return type.equals("Integer") ? (Object) (int) n : (Object) n;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            option + " takes a whole number from " + min + " to " + max + ", got " + text);
                }
            }
            if (type.equals("Boolean")) {
                if (!text.equals("on") && !text.equals("off")) {
                    throw new IllegalArgumentException(option + " takes on or off, got " + text);
                }
                return text.equals("on");
            }
            if (!values.isEmpty() && !values.contains(text)) {
                throw new IllegalArgumentException(
                        option + " takes " + String.join(", ", values.subList(0, values.size() - 1)) + " or "
                                + values.get(values.size() - 1) + ", got " + text);
            }
            return text;
        }

        /** The option's help: the setting's name and description, and its bounds and default as an owner types them. */
        String help() {
            // Kura's hint after the last '|' ("TextArea": edit in a text area) is for its web UI, not for a reader.
            String shownDescription =
                    description.toLowerCase(java.util.Locale.ROOT).endsWith("|textarea")
                            ? description.substring(0, description.lastIndexOf('|'))
                            : description;
            StringBuilder help = new StringBuilder(name).append(": ").append(shownDescription);
            if (isNumber()) {
                help.append(" (").append(min).append("-").append(max).append(")");
            } else if (type.equals("Boolean")) {
                help.append(" (on or off)");
            } else if (!values.isEmpty()) {
                help.append(" (").append(String.join(", ", values)).append(")");
            }
            String shown = LAUNCHER_DEFAULTS.getOrDefault(
                    id,
                    type.equals("Boolean")
                            ? ("true".equals(defaultValue) ? "on" : "off")
                            : defaultValue.replace("\\,", ","));
            return shown.isEmpty()
                    ? help.toString()
                    : help.append(" Default: ").append(shown).append('.').toString();
        }

        String label() {
            return isNumber() ? "N" : type.equals("Boolean") ? "on|off" : "TEXT";
        }
    }

    private DeviceSettings() {}

    /** The settings of every component configured through metatype in the deployment package {@code dp}, in its order. */
    static List<Setting> of(Path dp) throws IOException {
        List<Setting> settings = new ArrayList<>();
        try (JarInputStream bundles = new JarInputStream(Files.newInputStream(dp))) {
            for (JarEntry bundle = bundles.getNextJarEntry(); bundle != null; bundle = bundles.getNextJarEntry()) {
                if (bundle.getName().endsWith(".jar")) {
                    settings.addAll(ofBundle(new ByteArrayInputStream(bundles.readAllBytes())));
                }
            }
        }
        return settings;
    }

    private static List<Setting> ofBundle(InputStream jar) throws IOException {
        List<Setting> settings = new ArrayList<>();
        try (JarInputStream in = new JarInputStream(jar)) {
            for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                if (entry.getName().startsWith("OSGI-INF/metatype/")
                        && entry.getName().endsWith(".xml")) {
                    settings.addAll(ofMetatype(in.readAllBytes()));
                }
            }
        }
        return settings;
    }

    /** The attributes of each OCD in one metatype document; its id is the component's pid (the OCD id is the pid). */
    static List<Setting> ofMetatype(byte[] xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            List<Setting> settings = new ArrayList<>();
            NodeList ocds = factory.newDocumentBuilder()
                    .parse(new ByteArrayInputStream(xml))
                    .getElementsByTagName("OCD");
            for (int i = 0; i < ocds.getLength(); i++) {
                Element ocd = (Element) ocds.item(i);
                NodeList ads = ocd.getElementsByTagName("AD");
                for (int j = 0; j < ads.getLength(); j++) {
                    Element ad = (Element) ads.item(j);
                    String id = ad.getAttribute("id");
                    if (NOT_OPTIONS.contains(id)) {
                        continue;
                    }
                    List<String> values = new ArrayList<>();
                    NodeList options = ad.getElementsByTagName("Option");
                    for (int k = 0; k < options.getLength(); k++) {
                        values.add(((Element) options.item(k)).getAttribute("value"));
                    }
                    settings.add(new Setting(
                            OPTION_NAMES.getOrDefault(id, "--" + id.replace('.', '-')),
                            ocd.getAttribute("id"),
                            id,
                            ad.getAttribute("name"),
                            ad.getAttribute("description"),
                            ad.getAttribute("type"),
                            ad.getAttribute("default"),
                            number(ad, "min"),
                            number(ad, "max"),
                            values));
                }
            }
            return settings;
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalStateException("a bundle's metatype cannot be read: " + e.getMessage(), e);
        }
    }

    private static Long number(Element ad, String attribute) {
        String text = ad.getAttribute(attribute);
        return text.isEmpty() ? null : Long.parseLong(text);
    }

    /** The ConfigAdmin properties the given options set, by pid (every pid present, perhaps empty); unset options keep what is stored. */
    static Map<String, Map<String, Object>> properties(
            List<Setting> settings, Map<String, String> given, List<String> pids) {
        Map<String, Map<String, Object>> properties = new LinkedHashMap<>();
        pids.forEach(pid -> properties.put(pid, new LinkedHashMap<>()));
        for (Setting s : settings) {
            Optional.ofNullable(given.get(s.option()))
                    .ifPresent(text -> properties
                            .computeIfAbsent(s.pid(), p -> new LinkedHashMap<>())
                            .put(s.id(), s.parse(text)));
        }
        return properties;
    }
}
