package io.edgerent.edge.storage;

import java.util.Optional;

/**
 * Each rental's /data: a fresh volume with a size quota, encrypted with a key made for that rental
 * and held only by the kernel, and erased by destroying that key.
 */
public interface RentalVolumes {
    /**
     * The rental's volume, unlocked, holding at most {@code sizeBytes}. Creates it when there is none;
     * a volume whose key is gone (the machine restarted) cannot be read by anyone any more, so it is
     * erased and a fresh one made.
     */
    Volume open(String rental, long sizeBytes);

    /** The rental's volume if it exists and is unlocked. */
    Optional<Volume> find(String rental);

    /** Locks the volume, destroys its key and deletes its backing image; safe to repeat after a crash. */
    Erasure erase(String rental);

    /** The encryption in use on this device: "fscrypt" or "luks2". */
    String method();
}
