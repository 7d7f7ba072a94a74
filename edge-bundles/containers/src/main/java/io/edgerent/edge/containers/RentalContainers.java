package io.edgerent.edge.containers;

import java.util.Optional;

/** The renters' containers on this device, one per rental, found again by rental name after a restart. */
public interface RentalContainers {
    /** Creates and starts the rental's container, or returns it if it already runs; starts it if it stopped. */
    RunningContainer start(ContainerSpec spec);

    /** The rental's container if this device has one, started or not. */
    Optional<RunningContainer> find(String rental);

    /** Freezes the rental's processes (payment stopped); pausing a paused container is not an error. */
    void pause(String rental);

    /** Unfreezes the rental's processes; resuming a running container is not an error. */
    void resume(String rental);

    /** What the rental's container used so far, or {@link ContainerUsage#NONE} when it has none. */
    ContainerUsage usage(String rental);

    /** Stops and removes the rental's container; removing one that is gone is not an error. */
    void remove(String rental);
}
