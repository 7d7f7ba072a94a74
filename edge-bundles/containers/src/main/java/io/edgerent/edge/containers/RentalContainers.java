package io.edgerent.edge.containers;

import java.util.Optional;

/** The renters' containers on this device, one per rental, found again by rental name after a restart. */
public interface RentalContainers {
    /** Creates and starts the rental's container, or returns it if it already runs; starts it if it stopped. */
    RunningContainer start(ContainerSpec spec);

    /** The rental's container if this device has one, started or not. */
    Optional<RunningContainer> find(String rental);

    /** Stops and removes the rental's container; removing one that is gone is not an error. */
    void remove(String rental);
}
