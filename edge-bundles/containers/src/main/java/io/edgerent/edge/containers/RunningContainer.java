package io.edgerent.edge.containers;

/** A rental's container as the tunnels see it: where its sshd and its web server listen on this device. */
public record RunningContainer(
        String rental,
        String containerId,
        String imageId,
        String address,
        int sshPort,
        int httpPort,
        boolean running,
        boolean paused) {}
