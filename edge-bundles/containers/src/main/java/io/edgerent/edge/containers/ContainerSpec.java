package io.edgerent.edge.containers;

import java.util.List;

/**
 * What a rental's container is made from: the renter template and the SSH keys that may log in as
 * root; the device id labels it too, so a host running several devices tells their containers apart.
 */
public record ContainerSpec(String rental, String deviceId, String template, List<String> authorizedKeys) {
    public ContainerSpec {
        authorizedKeys = List.copyOf(authorizedKeys);
    }
}
