package io.edgerent.edge.containers;

import java.util.List;

/** What a rental's container is made from: the renter template and the SSH keys that may log in as root. */
public record ContainerSpec(String rental, String template, List<String> authorizedKeys) {
    public ContainerSpec {
        authorizedKeys = List.copyOf(authorizedKeys);
    }
}
