package io.edgerent.edge.agent;

import java.net.URI;
import java.util.function.LongConsumer;
import org.eclipse.californium.core.CoapObserveRelation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's observation of its assignment's version at the hub, kept up: observed again when the hub
 * answers after not answering, when another hub of the fleet answers, or when a heartbeat brings a version no
 * notification announced (the hub lost the observation unseen: a restart between two heartbeats, notifications it
 * gave up on).
 */
final class AssignmentObservation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AssignmentObservation.class);

    private final HubLink hub;
    private final LongConsumer onNotification;
    private CoapObserveRelation observation;
    /** The hub {@link #observation} is at. */
    private URI observedAt;

    private boolean hubWasUnreachable;

    AssignmentObservation(HubLink hub, LongConsumer onNotification) {
        this.hub = hub;
        this.onNotification = onNotification;
    }

    /** The hub did not answer a heartbeat; said once until it answers again. */
    void hubUnreachable(String why, int retrySeconds) {
        if (!hubWasUnreachable) {
            LOG.warn("{}; serving on and retrying every {} s", why, retrySeconds);
        }
        hubWasUnreachable = true;
    }

    /** A heartbeat answered with {@code heardVersion} while the device follows {@code followedVersion}: observe again if needed. */
    void keepUp(String deviceId, long heardVersion, long followedVersion) {
        if (observation != null
                && !hubWasUnreachable
                && hub.hub().equals(observedAt)
                && !observation.isCanceled()
                && heardVersion == followedVersion) {
            return;
        }
        if (observation != null) {
            observation.proactiveCancel();
            if (hub.hub().equals(observedAt)) {
                LOG.info("the hub answers again");
            } else {
                LOG.info("the hub at {} answers: observing there", hub.hub());
            }
        }
        observedAt = hub.hub();
        observation = hub.observe(deviceId, onNotification);
        hubWasUnreachable = false;
    }

    @Override
    public void close() {
        if (observation != null) {
            observation.proactiveCancel();
        }
    }
}
