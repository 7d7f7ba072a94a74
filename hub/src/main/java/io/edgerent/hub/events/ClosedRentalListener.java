package io.edgerent.hub.events;

/** Hears, once the change committed on this hub or another on its database, that renters must lose access to a rental (paused, ending, ended). */
@FunctionalInterface
public interface ClosedRentalListener {
    void rentalClosed(String rental);
}
