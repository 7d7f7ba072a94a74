package io.edgerent.edge.storage.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One way to encrypt a rental's volume. Every method is safe to repeat after a crash. */
interface Backend {
    /**
     * Where a rental's volume lives: its backing image and where it is mounted. Everything of the renter's
     * is under {@link #vault()} (the directory fscrypt encrypts; on LUKS2 the whole filesystem is):
     * {@code data/}, which the container sees at /data, and {@code root/} with {@code work/}, the upper
     * layer of the container's root. {@link #root()} is where that root is mounted, image below and
     * changes above.
     */
    record Layout(String rental, Path image, Path mount) {
        Path vault() {
            return mount.resolve("vault");
        }

        Path data() {
            return vault().resolve("data");
        }

        Path changes() {
            return vault().resolve("root");
        }

        Path work() {
            return vault().resolve("work");
        }

        Path root() {
            return mount.resolve("root");
        }
    }

    String name();

    /**
     * Formats the existing (allocated, sized) backing image under a fresh random key, mounts it and
     * makes {@link Layout#vault()} and {@link Layout#data()} in it. The key is handed to the kernel and not kept anywhere else.
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
