package io.edgerent.edge.agent;

import io.edgerent.protocol.HardwareFacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/** Measures what the listing shows: CPUs, memory, free disk, architecture, model, a short CPU benchmark. */
final class HardwareProbe {
    private HardwareProbe() {}

    static HardwareFacts measure(Path dataDir) {
        return new HardwareFacts(
                Runtime.getRuntime().availableProcessors(),
                cpuModel(),
                memoryBytes(),
                dataDir.toFile().getUsableSpace(),
                System.getProperty("os.arch"),
                model(),
                benchmark());
    }

    private static String cpuModel() {
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name") || line.startsWith("Model")) {
                return clip(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return "unknown";
    }

    private static long memoryBytes() {
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** The Raspberry Pi's own name for itself, or "generic" on other hosts. */
    private static String model() {
        try {
            return clip(Files.readString(Path.of("/proc/device-tree/model"), StandardCharsets.US_ASCII)
                    .replace("\0", "")
                    .strip());
        } catch (IOException e) {
            return "generic";
        }
    }

    /** SHA-256 blocks hashed in 200 ms on one core: comparable between devices, cheap to run. */
    private static long benchmark() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] block = new byte[1024];
            long deadline = System.nanoTime() + 200_000_000L;
            long blocks = 0;
            while (System.nanoTime() < deadline) {
                for (int i = 0; i < 64; i++) {
                    sha.update(block);
                }
                block[0] = sha.digest()[0];
                blocks += 64;
            }
            return blocks * 5;
        } catch (NoSuchAlgorithmException e) {
            return 0;
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String clip(String text) {
        return text.length() > 200 ? text.substring(0, 200) : text;
    }
}
