package io.edgerent.edge.containers;

import io.edgerent.protocol.Template;
import java.util.List;

/**
 * What a rental's container is made from: the renter template, the SSH keys that may log in as
 * root, and for the file host the SHA-256 (hex) of its password; the device id labels it too, so a
 * host running several devices tells their containers apart.
 */
public record ContainerSpec(
        String rental, String deviceId, Template template, List<String> authorizedKeys, String passwordSha256) {
    public ContainerSpec {
        authorizedKeys = List.copyOf(authorizedKeys);
    }
}
