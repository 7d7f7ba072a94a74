package io.edgerent.edge.storage.local;

import io.edgerent.edge.hostos.Host;
import io.edgerent.edge.storage.RentalVolumes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renter images unpacked once into plain directories, one per image id: the read-only lower layer of
 * every rental's root (RentalVolumes#root). Unpacked from the engine's export (a tar of the image's
 * files), not read from its storage driver's directories, so it works whatever driver the engine uses;
 * it costs about 2 s and the image's size on disk once per image. tar runs as root, keeping owners.
 */
final class ImageRoots {
    private static final Logger LOG = LoggerFactory.getLogger(ImageRoots.class);
    private static final Pattern IMAGE_ID = Pattern.compile("sha256:([0-9a-f]{64})");
    /** Top-level directories the engine provides itself, never bound from the image. */
    private static final Set<String> ENGINE_OWNED = Set.of("proc", "sys", "dev");

    private ImageRoots() {}

    /** Where {@code imageId} is unpacked under {@code dir}, whether or not it is yet. */
    static Path of(Path dir, String imageId) {
        var id = IMAGE_ID.matcher(imageId);
        if (!id.matches()) {
            throw new IllegalArgumentException("not an image id (sha256:64 hex digits): " + imageId);
        }
        return dir.resolve(id.group(1));
    }

    /** The unpacked files of {@code imageId} under {@code dir}, unpacking {@code export} first if they are not there. */
    static synchronized Path unpacked(Path dir, String imageId, RentalVolumes.Export export) throws IOException {
        Path root = of(dir, imageId);
        if (Files.isDirectory(root)) {
            return root;
        }
        Files.createDirectories(dir);
        Path partial = dir.resolve(root.getFileName() + ".partial");
        if (Files.exists(partial)) {
            Host.deleteTree(partial); // an unpacking a crash cut short
        }
        Files.createDirectories(partial);
        long started = System.nanoTime();
        // tar, as root, keeping owners by number and modes: the files as they are in the image.
        try {
            Host.run(export::writeTo, "tar", "-x", "--numeric-owner", "-p", "-C", partial.toString());
        } catch (IOException | RuntimeException e) {
            try {
                Host.deleteTree(partial); // tar has ended (Host.run waits for it): nothing of a failed unpacking stays
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        Files.move(partial, root, StandardCopyOption.ATOMIC_MOVE);
        LOG.info(
                "unpacked image {} for rentals' roots in {} ms: {}",
                imageId.substring(7, 19),
                (System.nanoTime() - started) / 1_000_000,
                root);
        pruneUnused(dir, root);
        return root;
    }

    /** The image's top-level directories a rental's root binds into its container: all but the engine's own. */
    public static List<String> boundDirectories(Path root) {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .map(p -> p.getFileName().toString())
                    .filter(name -> !ENGINE_OWNED.contains(name))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the unpacked image " + root + ": " + e.getMessage(), e);
        }
    }

    /** Removes other images' directories no mounted root still stands on (one rental at a time: usually all). */
    private static void pruneUnused(Path dir, Path keep) throws IOException {
        String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path other : entries.filter(p -> !p.equals(keep)).toList()) {
                if (!mounts.contains("lowerdir=" + other + ",") && !mounts.contains("lowerdir=" + other + " ")) {
                    Host.deleteTree(other);
                    LOG.info("removed the unpacked image {}: no rental uses it", other.getFileName());
                }
            }
        }
    }
}
