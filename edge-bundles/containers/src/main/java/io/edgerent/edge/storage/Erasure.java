package io.edgerent.edge.storage;

import java.util.List;

/**
 * What erasing a rental's volume did and what was checked afterwards. {@code verified} holds only
 * when every check passed: the key is gone from the kernel, nothing is mounted, no backing image is left.
 */
public record Erasure(String method, List<String> steps, List<String> checks, boolean verified) {
    public Erasure {
        steps = List.copyOf(steps);
        checks = List.copyOf(checks);
    }
}
