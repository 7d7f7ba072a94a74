package io.edgerent.edge.containers;

/** What a rental's container used so far: CPU seconds, peak memory, bytes received and sent on its network. */
public record ContainerUsage(long cpuSeconds, long peakMemoryBytes, long bytesIn, long bytesOut) {
    public static final ContainerUsage NONE = new ContainerUsage(0, 0, 0, 0);
}
