package io.edgerent.edge.containers;

/** A rental's container as the tunnels see it: where its sshd listens on this device. */
public record RunningContainer(String rental, String containerId, String imageId, String address, int sshPort, boolean running,
        boolean paused) {}
