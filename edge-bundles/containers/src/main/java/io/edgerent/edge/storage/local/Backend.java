package io.edgerent.edge.storage.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One way to encrypt a rental's volume. Every method is safe to repeat after a crash. */
interface Backend {
    /** Where a rental's volume lives: its backing image, where it is mounted, the directory the container sees. */
    record Layout(String rental, Path image, Path mount) {
        Path data() {
            return mount.resolve("data");
        }
    }

    String name();

    /**
     * Formats the existing (sparse, sized) backing image under a fresh random key, mounts it and
     * makes {@link Layout#data()}. The key is handed to the kernel and not kept anywhere else.
     */
    void create(Layout layout) throws IOException;

    /** Whether the volume is mounted and its key is in the kernel, so its files can be read. */
    boolean unlocked(Layout layout) throws IOException;

    /**
     * Takes the key out of the kernel and unmounts; after it the backing image is ciphertext that
     * nobody holds a key for. Appends what it did to {@code steps} and what it checked to {@code checks};
     * returns whether the checks passed.
     */
    boolean lock(Layout layout, List<String> steps, List<String> checks) throws IOException;
}
