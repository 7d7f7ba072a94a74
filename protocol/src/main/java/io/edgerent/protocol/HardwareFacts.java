package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a device measured about itself; the listing shows it. */
public record HardwareFacts(
        int cpus,
        String cpuModel,
        long memoryBytes,
        long diskFreeBytes,
        String arch,
        String model,
        long benchmarkScore) {

    public Map<String, Object> toCbor() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", cpus);
        m.put("cpuModel", cpuModel);
        m.put("memory", memoryBytes);
        m.put("diskFree", diskFreeBytes);
        m.put("arch", arch);
        m.put("model", model);
        m.put("benchmark", benchmarkScore);
        return m;
    }

    public static HardwareFacts from(Fields f) {
        return new HardwareFacts(
                (int) f.integer("cpus", 1, 4096),
                Names.shortText(f, "cpuModel"),
                f.integer("memory", 0, Long.MAX_VALUE),
                f.integer("diskFree", 0, Long.MAX_VALUE),
                Names.shortText(f, "arch"),
                Names.shortText(f, "model"),
                f.integer("benchmark", 0, Long.MAX_VALUE));
    }
}
