package io.edgerent.edge.containers.docker;

import io.edgerent.edge.settings.Refusals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The owner's limits for a rental, checked against their bounds and against what this machine has. */
final class Limits {
    private Limits() {}

    /** Adds every limit that is out of bounds to {@code refusals}. */
    static void check(Refusals refusals, int memoryMib, int cpuMillicores, int pidsLimit, int storageMib) {
        long hostMemoryMib = hostMemoryMib();
        int hostMillicores = Runtime.getRuntime().availableProcessors() * 1000;
        refusals.within(
                        "memory limit",
                        memoryMib,
                        64,
                        hostMemoryMib,
                        "MiB",
                        "this machine has " + hostMemoryMib + " MiB")
                .within(
                        "CPU limit",
                        cpuMillicores,
                        100,
                        hostMillicores,
                        "millicores",
                        "this machine has " + hostMillicores / 1000 + " cores")
                .within("process limit", pidsLimit, 16, 32768, "processes", null)
                .within("storage", storageMib, 16, 4L << 20, "MiB", null);
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
