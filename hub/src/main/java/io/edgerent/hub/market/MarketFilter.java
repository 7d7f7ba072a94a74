package io.edgerent.hub.market;

import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Template;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the market page was asked to show: filters and an order, read from the page's query. A
 * value that does not parse is left out of the filter and named in {@code problems}, so the page
 * says why it did not apply.
 */
public record MarketFilter(
        String arch,
        int minCpus,
        long minMemoryGb,
        long minDiskGb,
        Long maxPricePerHour,
        String region,
        Template template,
        int minUptimePercent,
        boolean freeOnly,
        String sort,
        List<String> problems) {
    public static final List<String> SORTS = List.of("price", "cpus", "memory", "disk", "uptime", "benchmark");
    private static final long GB = 1_000_000_000L;

    public static MarketFilter from(Map<String, String> query) {
        List<String> problems = new ArrayList<>();
        String arch = text(query, "arch");
        int minCpus = (int) number(query, "minCpus", "Minimum CPUs", 4096, problems);
        long minMemory = number(query, "minMemoryGb", "Minimum memory", 1_000_000, problems);
        long minDisk = number(query, "minDiskGb", "Minimum free disk", 1_000_000_000, problems);
        int before = problems.size();
        long maxPrice = number(query, "maxPrice", "Maximum price", Long.MAX_VALUE, problems);
        Long priceCap = text(query, "maxPrice").isEmpty() || problems.size() > before ? null : maxPrice;
        String region = text(query, "region");
        Template template = null;
        String t = text(query, "template");
        if (!t.isEmpty()) {
            try {
                template = Template.parse(t);
            } catch (RuntimeException e) {
                problems.add("Template: " + e.getMessage());
            }
        }
        int minUptime = (int) number(query, "minUptime", "Minimum uptime", 100, problems);
        String sort = text(query, "sort");
        if (!sort.isEmpty() && !SORTS.contains(sort)) {
            problems.add("Sort: one of " + String.join(", ", SORTS));
            sort = "";
        }
        return new MarketFilter(
                arch,
                minCpus,
                minMemory,
                minDisk,
                priceCap,
                region,
                template,
                minUptime,
                "1".equals(query.get("free")),
                sort.isEmpty() ? "price" : sort,
                List.copyOf(problems));
    }

    public List<Listing> apply(List<Listing> listings) {
        List<Listing> shown = new ArrayList<>();
        for (Listing l : listings) {
            if ((arch.isEmpty() || l.facts().arch().equalsIgnoreCase(arch))
                    && l.facts().cpus() >= minCpus
                    && l.facts().memoryBytes() >= minMemoryGb * GB
                    && l.facts().diskFreeBytes() >= minDiskGb * GB
                    && (maxPricePerHour == null || l.prices().perHour() <= maxPricePerHour)
                    && (region.isEmpty()
                            || l.region().toLowerCase(Locale.ROOT).contains(region.toLowerCase(Locale.ROOT)))
                    && (template == null || l.templates().contains(template))
                    && (minUptimePercent == 0 || l.uptimePermille() >= minUptimePercent * 10)
                    && (!freeOnly || isFree(l))) {
                shown.add(l);
            }
        }
        shown.sort(order());
        return shown;
    }

    /** Whether a renter could rent the device now. */
    public static boolean isFree(Listing l) {
        return l.online() && !l.stale() && l.state() == DeviceState.LISTED;
    }

    private Comparator<Listing> order() {
        Comparator<Listing> c = switch (sort) {
            case "cpus" ->
                Comparator.comparingInt((Listing l) -> l.facts().cpus()).reversed();
            case "memory" ->
                Comparator.comparingLong((Listing l) -> l.facts().memoryBytes()).reversed();
            case "disk" ->
                Comparator.comparingLong((Listing l) -> l.facts().diskFreeBytes())
                        .reversed();
            case "uptime" -> Comparator.comparingInt(Listing::uptimePermille).reversed();
            case "benchmark" ->
                Comparator.comparingLong((Listing l) -> l.facts().benchmarkScore())
                        .reversed();
            default -> Comparator.comparingLong((Listing l) -> l.prices().perHour());
        };
        return c.thenComparing(Listing::deviceId);
    }

    private static String text(Map<String, String> query, String name) {
        String v = query.get(name);
        return v == null ? "" : v.strip();
    }

    /** A whole number from 0 to {@code max}; 0 (no filter) when empty or wrong, and then a problem is named. */
    private static long number(Map<String, String> query, String name, String label, long max, List<String> problems) {
        String v = text(query, name);
        if (v.isEmpty()) {
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        problems.add(label + ": a whole number from 0 to " + max + " (got '" + v + "'), so it was not applied");
        return 0;
    }
}
