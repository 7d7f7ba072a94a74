package io.edgerent.edge.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a rental writes: a fresh volume of a fixed size, encrypted with a key made for that rental
 * and held only by the kernel, and erased by destroying that key. The container sees part of it at /data;
 * the rest holds the changes to its root, over the image's files.
 */
public interface RentalVolumes {
    /**
     * The rental's volume, unlocked, holding at most {@code sizeBytes}. Creates it when there is none;
     * a volume whose key is gone (the machine restarted) cannot be read by anyone any more, so it is
     * erased and a fresh one made.
     */
    Volume open(String rental, long sizeBytes);

    /** Writes an image's files as a tar stream: the engine's export of a container made from it. */
    interface Export {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A rental's root, mounted at {@code dir}: the image's top-level {@code directories} are what its container binds. */
    record Root(Path dir, List<String> directories) {
        public Root {
            directories = List.copyOf(directories);
        }
    }

    /**
     * Unpacks image {@code imageId} ("sha256:..." as the engine names it) once, next to the volumes, from
     * {@code export}, which is not called when it is unpacked already.
     */
    void unpack(String imageId, Export export);

    /**
     * The rental's container root, mounted: the unpacked image below, read-only and shared, and the rental's
     * changes above it on its volume (an overlay), so that a file written anywhere counts against the
     * volume's size and is erased with it. Mounts it when it is not; the volume must be open and the image
     * unpacked.
     */
    Root root(String rental, String imageId);

    /** The rental's volume if it exists and is unlocked. */
    Optional<Volume> find(String rental);

    /**
     * Unmounts the rental's root, locks the volume, destroys its key and deletes its backing image; safe to
     * repeat after a crash.
     */
    Erasure erase(String rental);

    /** The encryption in use on this device: "fscrypt" or "luks2". */
    String method();
}
