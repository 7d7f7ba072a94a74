package io.edgerent.hub.events;

/** Hears, once the change committed on this hub or another on its database, that a device has a new assignment. */
@FunctionalInterface
public interface AssignmentListener {
    void assignmentChanged(String deviceId);
}
