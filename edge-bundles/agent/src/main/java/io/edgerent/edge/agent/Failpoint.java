package io.edgerent.edge.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named points where a test can make the device stall, to kill it there as a power loss would:
 * started with {@code -Dedgerent.failpoint=NAME}, the device logs that it reached NAME and stops
 * making progress. Without the property this does nothing.
 */
final class Failpoint {
    private static final Logger LOG = LoggerFactory.getLogger(Failpoint.class);

    private Failpoint() {}

    static void at(String name) {
        if (!name.equals(System.getProperty("edgerent.failpoint"))) {
            return;
        }
        LOG.warn("failpoint {} reached: stalling until the process is killed", name);
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("stalled at failpoint " + name);
            }
        }
    }
}
