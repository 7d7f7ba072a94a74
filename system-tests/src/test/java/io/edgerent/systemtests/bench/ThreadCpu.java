package io.edgerent.systemtests.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A server process's CPU time by the kind of thread that used it, from Linux's per-thread accounting
 * ({@code /proc/PID/task/TID/stat} and {@code comm}), in clock ticks: where a server's CPU per request goes
 * (the hub's database writer, its DTLS and CoAP threads, the collector, the compiler), with no profiler in it.
 */
final class ThreadCpu {
    /** Kinds by the start of a thread's name (Linux keeps its first 15 characters), in the order printed. */
    private static final List<Map.Entry<String, String>> KINDS = List.of(
            Map.entry("group-commit", "database writer"),
            Map.entry("DTLS", "DTLS"),
            Map.entry("CoapServer", "CoAP"),
            Map.entry("GC Thread", "GC"),
            Map.entry("G1 ", "GC"),
            Map.entry("C1 Compiler", "JIT"),
            Map.entry("C2 Compiler", "JIT"));

    private static final List<String> ORDER = List.of("database writer", "DTLS", "CoAP", "GC", "JIT", "other");

    private ThreadCpu() {}

    /** CPU ticks (user and system) each kind of thread of process {@code pid} has used so far. */
    static Map<String, Long> of(long pid) {
        Map<String, Long> ticks = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    ticks.merge(kind(name), ticks(task.resolve("stat")), Long::sum);
                } catch (IOException ended) {
                    // The thread ended while being read: its time is gone from both readings.
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the threads of process " + pid, e);
        }
        return ticks;
    }

    /** CPU time, user and system, in clock ticks, of a process's or thread's {@code stat} file (fields 14 and 15). */
    static long ticks(Path stat) throws IOException {
        String text = Files.readString(stat);
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static String kind(String threadName) {
        return KINDS.stream()
                .filter(k -> threadName.startsWith(k.getKey()))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse("other");
    }

    /** Adds to {@code into} what each kind used between {@code before} and {@code after}. */
    static void addGrowth(Map<String, Long> into, Map<String, Long> before, Map<String, Long> after) {
        after.forEach((kind, t) -> into.merge(kind, Math.max(0, t - before.getOrDefault(kind, 0L)), Long::sum));
    }

    /** "database writer 57, DTLS 30, ... us": each kind's ticks per request, in microseconds, in a fixed order. */
    static String perRequest(Map<String, Long> ticks, long requests) {
        StringBuilder out = new StringBuilder();
        for (String kind : ORDER) {
            long t = ticks.getOrDefault(kind, 0L);
            if (t > 0) {
                out.append(out.isEmpty() ? "" : ", ")
                        .append(kind)
                        .append(' ')
                        .append(Math.round(t * 1e6 / FleetBenchmark.TICKS / Math.max(1, requests)));
            }
        }
        return out.append(" us").toString();
    }
}
