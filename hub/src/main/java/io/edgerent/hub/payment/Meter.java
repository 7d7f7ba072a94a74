package io.edgerent.hub.payment;

/**
 * The meter a device's heartbeats run for the rental it serves: its time kept in the device's liveness row
 * ({@code device_heard}, numbers only), which every heartbeat writes anyway, and the rental it runs for on the device
 * row, written when that changes; so a heartbeat writes one narrow row, not that one and the rental's channel too
 * (issue 33). The time on it is the rental's billed time not yet in its channel; a channel's
 * billed time is its own {@code billed_ms} plus {@code millis} while the meter is its rental's ({@link Channel#find}
 * reads them joined). When the heartbeats start metering another rental, {@link Channels#meter} first folds this one
 * into the channel it was for.
 *
 * @param rental the rental metered, or null for none yet
 * @param millis the time billed to it since it was last folded into its channel
 * @param until when it was metered up to (the last heartbeat that counted), or null
 */
public record Meter(String rental, long millis, Long until) {
    /** Whether this is the meter of {@code rental}. */
    boolean isFor(String rental) {
        return rental.equals(this.rental);
    }
}
