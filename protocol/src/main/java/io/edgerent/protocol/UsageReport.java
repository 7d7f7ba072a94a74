package io.edgerent.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a device measured for a rental, cumulative since the rental started: seconds the container
 * ran, CPU seconds, peak memory, bytes received and sent. Sent signed with the device key.
 */
public record UsageReport(
        String rental,
        long sequence,
        long onlineSeconds,
        long cpuSeconds,
        long peakMemoryBytes,
        long bytesIn,
        long bytesOut) {

    public byte[] encode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rental", rental);
        m.put("seq", sequence);
        m.put("online", onlineSeconds);
        m.put("cpu", cpuSeconds);
        m.put("peakMemory", peakMemoryBytes);
        m.put("in", bytesIn);
        m.put("out", bytesOut);
        return Cbor.encode(m);
    }

    public static UsageReport from(Fields f) {
        String rental = f.text("rental");
        if (!Names.isRentalName(rental)) {
            throw new MalformedMessageException("field 'rental' is not a rental name");
        }
        long max = Long.MAX_VALUE;
        return new UsageReport(
                rental,
                f.integer("seq", 0, max),
                f.integer("online", 0, max),
                f.integer("cpu", 0, max),
                f.integer("peakMemory", 0, max),
                f.integer("in", 0, max),
                f.integer("out", 0, max));
    }
}
