package io.edgerent.hub.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hub's settings file ({@code /etc/edgerent/hub.conf} when installed as a package): one {@code name = value}
 * per line, the name being a command-line option's without its dashes ({@code fee-bps = 250}); {@code #} starts a
 * comment line; blank lines are ignored. Nothing else is accepted, so a typo is an error with its line number, not
 * a setting silently left at its default. Written by hand rather than with {@link java.util.Properties}, which
 * takes any line as a key and reports no line numbers.
 */
public final class ConfigFile {
    private static final Pattern LINE = Pattern.compile("([a-z][a-z0-9-]*)\\s*=\\s*(.*?)\\s*");

    /** One setting as the file gives it. */
    public record Entry(String name, String value, int line) {}

    private final Path path;
    private final Map<String, Entry> entries;
    private final List<String> problems;

    private ConfigFile(Path path, Map<String, Entry> entries, List<String> problems) {
        this.path = path;
        this.entries = entries;
        this.problems = problems;
    }

    /** No file: every setting from the command line, the environment or its default. */
    public static ConfigFile none() {
        return new ConfigFile(null, Map.of(), List.of());
    }

    /** Reads {@code path}; lines it cannot take are {@link #problems()}, the rest its entries. */
    public static ConfigFile read(Path path) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i).strip();
            int number = i + 1;
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(text);
            if (!m.matches()) {
                problems.add(path + ":" + number + ": not 'name = value': " + text);
                continue;
            }
            Entry earlier = entries.put(m.group(1), new Entry(m.group(1), unquoted(m.group(2)), number));
            if (earlier != null) {
                problems.add(path + ":" + number + ": " + m.group(1) + " is set again (first on line " + earlier.line()
                        + ")");
            }
        }
        return new ConfigFile(path, Collections.unmodifiableMap(entries), List.copyOf(problems));
    }

    /** A value in double quotes keeps its spaces (the hub key in a link, a path with a space). */
    private static String unquoted(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1)
                : value;
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** Lines that are not settings, and settings given twice; each names the file and line. */
    public List<String> problems() {
        return problems;
    }

    /** Where an entry was set, for a message: {@code /etc/edgerent/hub.conf:12}. */
    public String where(Entry entry) {
        return path + ":" + entry.line();
    }
}
