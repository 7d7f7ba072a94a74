package io.edgerent.edge.agent;

import io.edgerent.edge.containers.ContainerUsage;
import io.edgerent.edge.containers.RentalContainers;
import io.edgerent.protocol.UsageReport;
import java.security.KeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving rental's cumulative usage, sent to the hub every usage interval, signed with the device key:
 * the time it served unpaused, and its container's counters, which never go down.
 */
final class UsageMeter {
    private static final Logger LOG = LoggerFactory.getLogger(UsageMeter.class);

    private final HubLink hub;
    private final KeyPair deviceKey;
    private final RentalContainers containers;
    private long lastReport;
    private ContainerUsage last = ContainerUsage.NONE;
    private long onlineSeconds;

    UsageMeter(HubLink hub, KeyPair deviceKey, RentalContainers containers) {
        this.hub = hub;
        this.deviceKey = deviceKey;
        this.containers = containers;
    }

    /** Reports {@code rental}'s usage if {@code everySeconds} passed since the last report; time paused is not counted. */
    void reportWhenDue(String deviceId, String rental, int everySeconds, boolean paused) {
        long now = System.currentTimeMillis();
        if (now - lastReport < everySeconds * 1000L) {
            return;
        }
        if (lastReport > 0 && !paused) {
            onlineSeconds += (now - lastReport) / 1000;
        }
        lastReport = now;
        ContainerUsage measured = containers.usage(rental);
        // Counters are per container; never report less than before (the hub refuses a decrease).
        last = new ContainerUsage(
                Math.max(last.cpuSeconds(), measured.cpuSeconds()),
                Math.max(last.peakMemoryBytes(), measured.peakMemoryBytes()),
                Math.max(last.bytesIn(), measured.bytesIn()),
                Math.max(last.bytesOut(), measured.bytesOut()));
        try {
            hub.reportUsage(
                    deviceId,
                    deviceKey,
                    new UsageReport(
                            rental,
                            now,
                            onlineSeconds,
                            last.cpuSeconds(),
                            last.peakMemoryBytes(),
                            last.bytesIn(),
                            last.bytesOut()));
        } catch (HubLink.HubRefusedException | HubLink.HubUnavailableException e) {
            LOG.warn("usage report for {} not accepted: {}", rental, e.getMessage());
        }
    }

    /** A rental ended: the next one starts from nothing. */
    void reset() {
        lastReport = 0;
        last = ContainerUsage.NONE;
        onlineSeconds = 0;
    }
}
