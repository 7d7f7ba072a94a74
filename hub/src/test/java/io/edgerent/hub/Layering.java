package io.edgerent.hub;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hub's package rules, checked on source text:
 * <ul>
 * <li>a package imports only its own layer or those below: threads, store, config, services, adapters, the root
 *     (which wires the hub together);
 * <li>adapters do not import one another, but all may report to observability (which imports no other adapter);
 * <li>below the adapters nothing speaks a transport (Californium, the edgerent link, MINA SSHD, the JDK's HTTP
 *     server, Netty), but identity may read and write SSH key files;
 * <li>JDBC stays in store (its refusals reach the services as {@code Sql.DatabaseException});
 * <li>packages import one another without cycles, and each has a package-info.java.
 * </ul>
 */
final class Layering {
    private Layering() {}

    private static final String HUB = "io.edgerent.hub";
    private static final Set<String> ADAPTERS =
            Set.of("api.coap", "gateway.ssh", "router.http", "web", "observability");
    private static final Set<String> SERVICES =
            Set.of("identity", "events", "device", "account", "payment", "market", "rental", "federation", "backup");
    private static final List<String> TRANSPORTS = List.of(
            "org.eclipse.californium.",
            "io.edgerent.link.",
            "org.apache.sshd.",
            "com.sun.net.httpserver.",
            "io.netty.");
    /** SSH key formats, not a transport: the hub key and renters' keys are read with them. */
    private static final List<String> KEY_FORMATS = List.of(
            "org.apache.sshd.common.config.keys.",
            "org.apache.sshd.common.keyprovider.",
            "org.apache.sshd.server.keyprovider.");

    private static final List<String> JDBC = List.of("java.sql.", "javax.sql.", "org.postgresql.", "org.h2.");

    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern NAME = Pattern.compile("\\b((?:[a-z]\\w*\\.)+[A-Z]\\w*)");

    /** Every broken rule in {@code files} (path relative to the hub's root package → source), in a stable order. */
    static List<String> violations(Map<String, String> files) {
        List<String> found = new ArrayList<>();
        Map<String, Set<String>> uses = new TreeMap<>();
        Set<String> packages = new TreeSet<>();
        Set<String> described = new TreeSet<>();
        for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
            String code = withoutCommentsAndStrings(f.getValue());
            Matcher pm = PACKAGE.matcher(code);
            if (!pm.find()) {
                found.add(f.getKey() + ": no package declaration");
                continue;
            }
            String pkg = relative(pm.group(1));
            if (f.getKey().endsWith("package-info.java")) {
                described.add(pkg);
                continue;
            }
            packages.add(pkg);
            for (String name : namesUsed(code.substring(pm.end()))) {
                String problem = problem(pkg, name);
                if (problem != null) {
                    found.add(f.getKey() + ": " + (pkg.isEmpty() ? "the root" : pkg) + problem);
                }
                if (name.startsWith(HUB + ".")) {
                    String other =
                            relative(name.substring(0, name.lastIndexOf('.')).replaceAll("\\.[A-Z].*", ""));
                    if (!other.equals(pkg)) {
                        uses.computeIfAbsent(pkg, k -> new TreeSet<>()).add(other);
                    }
                }
            }
        }
        for (String pkg : packages) {
            if (!pkg.isEmpty() && !described.contains(pkg)) {
                found.add(pkg + " has no package-info.java saying what lives there");
            }
        }
        cycle(uses).ifPresent(c -> found.add("packages import each other in a cycle: " + String.join(" -> ", c)));
        return found;
    }

    private static String problem(String pkg, String name) {
        if (name.startsWith(HUB + ".")) {
            String other = relative(name.substring(0, name.lastIndexOf('.')).replaceAll("\\.[A-Z].*", ""));
            if (layer(other) > layer(pkg)) {
                return " imports " + name + ", a layer above it";
            }
            if (ADAPTERS.contains(pkg)
                    && ADAPTERS.contains(other)
                    && !other.equals(pkg)
                    && !other.equals("observability")) {
                return " imports " + name + ", another adapter";
            }
            return null;
        }
        if (layer(pkg) < layer("api.coap")
                && TRANSPORTS.stream().anyMatch(name::startsWith)
                && !(pkg.equals("identity") && KEY_FORMATS.stream().anyMatch(name::startsWith))) {
            return " uses " + name + ", a transport library";
        }
        if (!pkg.equals("store") && JDBC.stream().anyMatch(name::startsWith)) {
            return " uses " + name + ", JDBC, which stays in store";
        }
        return null;
    }

    /** 0 threads, 1 store, 2 config, 3 services, 4 adapters, 5 the root. */
    private static int layer(String pkg) {
        if (pkg.isEmpty()) {
            return 5;
        }
        if (ADAPTERS.contains(pkg)) {
            return 4;
        }
        if (SERVICES.contains(pkg)) {
            return 3;
        }
        return switch (pkg) {
            case "config" -> 2;
            case "store" -> 1;
            case "threads" -> 0;
            default -> throw new IllegalArgumentException("package " + pkg + " has no layer: add it to Layering");
        };
    }

    private static String relative(String pkg) {
        return pkg.equals(HUB) ? "" : pkg.startsWith(HUB + ".") ? pkg.substring(HUB.length() + 1) : pkg;
    }

    /** Imported and fully written type names (package.Type), from code without comments or strings. */
    private static Set<String> namesUsed(String code) {
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(code.replaceAll("import static ([\\w.]+)\\.\\w+;", "import $1;"));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** A cycle in the package graph, as the packages along it, first one repeated at the end. */
    private static Optional<List<String>> cycle(Map<String, Set<String>> uses) {
        Map<String, Integer> state = new LinkedHashMap<>();
        for (String start : uses.keySet()) {
            List<String> path = new ArrayList<>();
            Optional<List<String>> c = visit(start, uses, state, path);
            if (c.isPresent()) {
                return c;
            }
        }
        return Optional.empty();
    }

    private static Optional<List<String>> visit(
            String pkg, Map<String, Set<String>> uses, Map<String, Integer> state, List<String> path) {
        Integer s = state.get(pkg);
        if (s != null && s == 2) {
            return Optional.empty();
        }
        if (s != null && s == 1) {
            List<String> c = new ArrayList<>(path.subList(path.indexOf(pkg), path.size()));
            c.add(pkg);
            return Optional.of(c);
        }
        state.put(pkg, 1);
        path.add(pkg);
        for (String next : uses.getOrDefault(pkg, Set.of())) {
            Optional<List<String>> c = visit(next, uses, state, path);
            if (c.isPresent()) {
                return c;
            }
        }
        path.remove(path.size() - 1);
        state.put(pkg, 2);
        return Optional.empty();
    }

    /** The source with comments, string and character literals and text blocks blanked. */
    static String withoutCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                out.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c) {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
