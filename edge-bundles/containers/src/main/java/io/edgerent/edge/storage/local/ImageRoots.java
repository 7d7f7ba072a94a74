package io.edgerent.edge.containers.docker;

import com.github.dockerjava.api.DockerClient;
import io.edgerent.edge.hostos.Host;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renter images unpacked once into plain directories, one per image id: the read-only lower layer of
 * every rental's root (RentalVolumes#root). Unpacking through the engine's export, not by reading its
 * storage driver's directories, works whatever driver the engine uses; it costs about 2 s and the
 * image's size on disk once per image.
 */
final class ImageRoots {
    private static final Logger LOG = LoggerFactory.getLogger(ImageRoots.class);
    private static final Pattern IMAGE_ID = Pattern.compile("sha256:([0-9a-f]{64})");
    /** On the short-lived container an image is exported from, never started. */
    static final String UNPACKING_LABEL = "io.edgerent.unpacking";
    /** Top-level directories the engine provides itself, never bound from the image. */
    private static final Set<String> ENGINE_OWNED = Set.of("proc", "sys", "dev");

    private ImageRoots() {}

    /** The unpacked files of {@code imageId} under {@code dir}, unpacking them first if they are not there. */
    static synchronized Path unpacked(DockerClient docker, Path dir, String imageId) throws IOException {
        var id = IMAGE_ID.matcher(imageId);
        if (!id.matches()) {
            throw new IllegalArgumentException("not an image id: " + imageId);
        }
        Path root = dir.resolve(id.group(1));
        if (Files.isDirectory(root)) {
            return root;
        }
        Files.createDirectories(dir);
        Path partial = dir.resolve(id.group(1) + ".partial");
        if (Files.exists(partial)) {
            Host.deleteTree(partial); // an unpacking a crash cut short
        }
        Files.createDirectories(partial);
        long started = System.nanoTime();
        String container = docker.createContainerCmd(imageId)
                .withLabels(Map.of(UNPACKING_LABEL, "true"))
                .exec()
                .getId();
        try (InputStream tar = docker.exportContainerCmd(container).exec()) {
            untar(tar, partial);
        } finally {
            docker.removeContainerCmd(container).withForce(true).exec();
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
    static List<String> boundDirectories(Path root) {
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

    /** tar, as root, keeping owners by number and modes: the files as they are in the image. */
    private static void untar(InputStream tar, Path into) throws IOException {
        Process process = new ProcessBuilder("tar", "-x", "--numeric-owner", "-p", "-C", into.toString())
                .redirectErrorStream(true)
                .start();
        try (OutputStream in = process.getOutputStream()) {
            tar.transferTo(in);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("unpacking the image failed: " + output);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unpacking the image", e);
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
