package io.edgerent.edge.storage.local;

import io.edgerent.edge.hostos.Host;
import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rental volumes on this machine, made with its own tools (so as root): image files under a base directory,
 * {@code RENTAL.img}, allocated whole, mounted at {@code RENTAL/}; the container sees its {@code vault/data/} at
 * /data and the overlay at {@code root/} as the rest of its files (Backend.Layout). One lock per device: volumes
 * are created and erased one at a time. The storage component (EncryptedVolumes) uses it as root, the storage
 * helper for a device that is not.
 */
public final class LocalVolumes implements RentalVolumes {
    private static final Logger LOG = LoggerFactory.getLogger(LocalVolumes.class);
    private static final Pattern RENTAL = Pattern.compile("r-[0-9a-f]{12}");
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9/._-]*");
    private static final long MIB = 1024L * 1024L;

    private volatile Backend backend;
    private volatile Path base;
    private volatile long reserveBytes;

    /**
     * Volumes under {@code basePath} with the given backend (auto, luks2, fscrypt) and 64 MiB kept for the
     * device (tests on a Pi, benchmarks, the storage helper until the device sends its settings).
     */
    public static LocalVolumes at(String backend, String basePath) {
        LocalVolumes volumes = new LocalVolumes();
        volumes.configure(backend, basePath, 64);
        return volumes;
    }

    /** Takes new encryption and reserve settings, keeping the volume directory (the storage helper's requests). */
    synchronized void reconfigure(String backendName, int reserveMib) {
        configure(backendName, base.toString(), reserveMib);
    }

    Path base() {
        return base;
    }

    synchronized void configure(String backendName, String basePath, int reserveMib) {
        if (basePath == null || basePath.isBlank()) {
            throw new IllegalArgumentException("storage settings refused: the volume directory is empty");
        }
        if (!SAFE_PATH.matcher(basePath.strip()).matches()) {
            // The overlay's mount options are separated by commas and its layers by colons.
            throw new IllegalArgumentException("storage settings refused: the volume directory must be an absolute"
                    + " path of letters, digits and / . _ - only, got '" + basePath + "'");
        }
        if (reserveMib < 64) {
            throw new IllegalArgumentException(
                    "storage settings refused: keep at least 64 MiB for the device, got " + reserveMib);
        }
        Backend chosen = choose(backendName);
        Path dir = Path.of(basePath).toAbsolutePath().normalize();
        List<String> inUse = base == null ? List.of() : volumesIn(base);
        if (!inUse.isEmpty() && !dir.equals(base)) {
            throw new IllegalArgumentException("storage settings refused: the volume directory cannot move while "
                    + String.join(", ", inUse) + " keeps its volume in " + base + "; change it between rentals");
        }
        if (!inUse.isEmpty() && !chosen.name().equals(backend.name())) {
            throw new IllegalArgumentException("storage settings refused: the encryption cannot change while "
                    + String.join(", ", inUse) + " has a " + backend.name() + " volume; change it between rentals");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "storage settings refused: cannot create the volume directory " + dir + ": " + e, e);
        }
        backend = chosen;
        base = dir;
        reserveBytes = reserveMib * MIB;
        LOG.info("rental volumes: {} under {}, {} MiB kept for the device", chosen.name(), dir, reserveMib);
    }

    /** The rentals with a volume image under {@code dir}. */
    private static List<String> volumesIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".img"))
                    .map(n -> n.substring(0, n.length() - 4))
                    .filter(n -> RENTAL.matcher(n).matches())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static Backend choose(String configured) {
        return switch (configured == null ? "auto" : configured.strip()) {
            case "luks2" -> {
                if (!Luks2Backend.available()) {
                    throw new IllegalArgumentException(
                            "storage settings refused: backend luks2, but this kernel has no dm-crypt"
                                    + " (/dev/mapper/control) or cryptsetup is not installed");
                }
                yield new Luks2Backend();
            }
            case "fscrypt" -> {
                if (!FscryptBackend.available()) {
                    throw new IllegalArgumentException(
                            "storage settings refused: backend fscrypt, but this kernel's ext4 has no encryption"
                                    + " (/sys/fs/ext4/features/encryption) or mkfs.ext4 is not installed");
                }
                yield new FscryptBackend();
            }
            case "auto" -> {
                if (Luks2Backend.available()) {
                    yield new Luks2Backend();
                }
                if (FscryptBackend.available()) {
                    yield new FscryptBackend();
                }
                throw new IllegalArgumentException(
                        "storage settings refused: no encrypted storage on this device: LUKS2 needs dm-crypt and"
                                + " cryptsetup, fscrypt needs ext4 with encryption; renting stays off until one is there");
            }
            default ->
                throw new IllegalArgumentException(
                        "storage settings refused: backend must be auto, luks2 or fscrypt, got " + configured);
        };
    }

    @Override
    public String method() {
        return backend.name();
    }

    @Override
    public synchronized Volume open(String rental, long sizeBytes) {
        Backend.Layout layout = layout(rental);
        if (sizeBytes < 16 * MIB) {
            throw new IllegalArgumentException("a volume holds at least 16 MiB, not " + sizeBytes + " bytes");
        }
        try {
            if (backend.unlocked(layout)) {
                return volume(layout);
            }
            if (Files.exists(layout.image()) || Host.isMounted(layout.mount())) {
                LOG.warn(
                        "the volume of {} is locked (its key lived only in memory and is gone): erasing it and starting"
                                + " a fresh one",
                        rental);
                erase(rental);
            }
            long free = Files.getFileStore(base).getUsableSpace();
            if (sizeBytes + reserveBytes > free) {
                throw new IllegalArgumentException("a " + (sizeBytes >> 20) + " MiB volume for " + rental
                        + " does not fit: " + base + " has " + (free >> 20) + " MiB free and " + (reserveBytes >> 20)
                        + " MiB of it is kept for the device (lower the storage limit or free some space)");
            }
            // Allocated whole, not sparse: a full rental gets ENOSPC inside its volume, and the device's own
            // files keep the space they were promised (the floor above).
            Host.run(
                    "fallocate",
                    "--length",
                    Long.toString(sizeBytes),
                    layout.image().toString());
            backend.create(layout);
            LOG.info("created the {} volume of {} ({} MiB)", backend.name(), rental, sizeBytes >> 20);
            return volume(layout);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the volume of " + rental + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void unpack(String imageId, Export export) {
        try {
            ImageRoots.unpacked(images(), imageId, export);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack image " + imageId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Root root(String rental, String imageId) {
        Backend.Layout layout = layout(rental);
        Path image = ImageRoots.of(images(), imageId);
        String lower = image.toString();
        try {
            if (!Files.isDirectory(image)) {
                throw new IllegalStateException(
                        "image " + imageId + " is not unpacked: the root of " + rental + " cannot be mounted");
            }
            if (!backend.unlocked(layout)) {
                throw new IllegalStateException("the volume of " + rental + " is not open: its root cannot be mounted");
            }
            if (!Host.isMounted(layout.root())) {
                Files.createDirectories(layout.changes());
                Files.createDirectories(layout.work());
                Files.createDirectories(layout.root());
                Host.run(
                        "mount",
                        "-t",
                        "overlay",
                        "-o",
                        "lowerdir=" + lower + ",upperdir=" + layout.changes() + ",workdir=" + layout.work()
                                + ",nodev,nosuid",
                        "edgerent-" + rental,
                        layout.root().toString());
                LOG.info("mounted the root of {}: {} below, its changes on its volume", rental, lower);
            }
            return new Root(layout.root(), ImageRoots.boundDirectories(image));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mount the root of " + rental + ": " + e.getMessage(), e);
        }
    }

    /** Where unpacked images live: next to the volumes, on the same disk. */
    private Path images() {
        return base.resolve("images");
    }

    @Override
    public synchronized Optional<Volume> find(String rental) {
        Backend.Layout layout = layout(rental);
        try {
            return backend.unlocked(layout) ? Optional.of(volume(layout)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot inspect the volume of " + rental + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Erasure erase(String rental) {
        Backend.Layout layout = layout(rental);
        List<String> steps = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        try {
            if (Host.isMounted(layout.root())) {
                if (!Host.succeeds("umount", layout.root().toString())) {
                    Host.run("umount", "--lazy", layout.root().toString()); // busy: detached now, gone when let go
                }
                steps.add("container root unmounted (the renter's changes to it lie on the volume)");
            }
            boolean locked = backend.lock(layout, steps, checks);
            if (Files.deleteIfExists(layout.image())) {
                steps.add("backing image deleted");
            }
            boolean mounted = Host.isMounted(layout.mount()) || Host.isMounted(layout.root());
            if (Files.isDirectory(layout.mount()) && !mounted) {
                Host.deleteTree(layout.mount()); // empty mount points left on the parent filesystem, if any
            }
            boolean imageLeft = Files.exists(layout.image());
            checks.add("mounted: " + (mounted ? "yes" : "no"));
            checks.add("backing image: " + (imageLeft ? "still there" : "gone"));
            boolean verified = locked && !mounted && !imageLeft;
            LOG.info(
                    "erased the volume of {}: {}; {}",
                    rental,
                    steps,
                    verified ? "verified" : "NOT verified: " + checks);
            return new Erasure(backend.name(), steps, checks, verified);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot erase the volume of " + rental + ": " + e.getMessage(), e);
        }
    }

    private Backend.Layout layout(String rental) {
        if (!RENTAL.matcher(rental).matches()) {
            throw new IllegalArgumentException("not a rental name: " + rental);
        }
        return new Backend.Layout(rental, base.resolve(rental + ".img"), base.resolve(rental));
    }

    private Volume volume(Backend.Layout layout) throws IOException {
        return new Volume(layout.rental(), layout.data(), backend.name(), Files.size(layout.image()));
    }
}
