package io.edgerent.edge.containers.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The owner's limits for a rental, checked against their bounds and against what this machine has. */
final class Limits {
    private Limits() {}

    /** Throws IllegalArgumentException naming every limit that is out of bounds. */
    static void check(int memoryMib, int cpuMillicores, int pidsLimit, int storageMib) {
        long hostMemoryMib = hostMemoryMib();
        int hostMillicores = Runtime.getRuntime().availableProcessors() * 1000;
        StringBuilder problems = new StringBuilder();
        within(problems, "memory limit", memoryMib, 64, hostMemoryMib, "MiB", "this machine has " + hostMemoryMib + " MiB");
        within(problems, "CPU limit", cpuMillicores, 100, hostMillicores, "millicores",
                "this machine has " + hostMillicores / 1000 + " cores");
        within(problems, "process limit", pidsLimit, 16, 32768, "processes", null);
        within(problems, "storage", storageMib, 16, 4L << 20, "MiB", null);
        if (problems.length() > 0) {
            throw new IllegalArgumentException("rental limits refused:" + problems);
        }
    }

    private static void within(StringBuilder problems, String what, long value, long min, long max, String unit, String why) {
        if (value < min || value > max) {
            problems.append(' ').append(what).append(" must be from ").append(min).append(" to ").append(max).append(' ')
                    .append(unit).append(why == null ? "" : " (" + why + ")").append(", got ").append(value).append(';');
        }
    }

    /** MemTotal from /proc/meminfo, or no bound when it cannot be read. */
    static long hostMemoryMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // No bound beyond the static one.
        }
        return Long.MAX_VALUE;
    }
}
