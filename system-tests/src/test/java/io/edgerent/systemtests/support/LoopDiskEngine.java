package io.edgerent.systemtests.support;

import static io.edgerent.systemtests.support.World.run;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A disk a test can read byte by byte, as someone who takes a Pi's SD card would: an ext4 image on a loop
 * device holding the Docker data root of a second, real Docker engine (its own containerd, no iptables of
 * its own, bridges from 10.213.0.0/16) and the device's volume directory. The machine's own engine keeps
 * running beside it; this one is stopped, its networks removed and the disk unmounted at close.
 *
 * <p>Its default bridge is one this class makes ({@value #BRIDGE}): an engine started with
 * {@code --bridge=none} deletes the interface {@code docker0}, which is the machine's own engine's.
 */
public final class LoopDiskEngine implements AutoCloseable {
    private static final String IMAGE = "edgerent/renter-base:latest";
    private static final String BRIDGE = "erdisk0";

    /** The disk's bytes, as its thief would read them. */
    public final Path image;
    /** Where it is mounted: {@code docker/} is the engine's data root; the device puts its volumes here too. */
    public final Path mount;
    /** What the device's {@code --docker-host} takes. */
    public final String dockerHost;

    private final Path runDir;
    private final Process dockerd;

    private LoopDiskEngine(Path image, Path mount, Path runDir, Process dockerd) {
        this.image = image;
        this.mount = mount;
        this.runDir = runDir;
        this.dockerd = dockerd;
        this.dockerHost = "unix://" + runDir.resolve("docker.sock");
    }

    /** Makes a {@code gib} GiB disk under {@code dir}, starts the engine on it and loads the renter image into it. */
    public static LoopDiskEngine start(Path dir, int gib) throws IOException {
        Path image = dir.resolve("disk.img");
        Path mount = dir.resolve("disk");
        Files.createDirectories(mount);
        run(Duration.ofSeconds(10), "truncate", "-s", gib + "G", image.toString())
                .assertOk();
        run(Duration.ofSeconds(60), "mkfs.ext4", "-q", "-F", image.toString()).assertOk();
        run(Duration.ofSeconds(30), "mount", "-o", "loop", image.toString(), mount.toString())
                .assertOk();
        run(Duration.ofSeconds(10), "ip", "link", "del", BRIDGE); // left by a test that was killed, if any
        run(Duration.ofSeconds(10), "ip", "link", "add", BRIDGE, "type", "bridge")
                .assertOk();
        run(Duration.ofSeconds(10), "ip", "addr", "add", "10.214.0.1/24", "dev", BRIDGE)
                .assertOk();
        run(Duration.ofSeconds(10), "ip", "link", "set", BRIDGE, "up").assertOk();
        // Short: the engine's sockets live here and a socket path has at most 107 bytes.
        Path runDir = Files.createTempDirectory(Path.of("/run"), "er-");
        Process dockerd = new ProcessBuilder(
                        "dockerd",
                        "--data-root",
                        mount.resolve("docker").toString(),
                        "--exec-root",
                        runDir.resolve("exec").toString(),
                        "--pidfile",
                        runDir.resolve("dockerd.pid").toString(),
                        "-H",
                        "unix://" + runDir.resolve("docker.sock"),
                        "--bridge=" + BRIDGE,
                        "--iptables=false",
                        "--default-address-pool",
                        "base=10.213.0.0/16,size=24")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("dockerd.log").toFile())
                .start();
        LoopDiskEngine engine = new LoopDiskEngine(image, mount, runDir, dockerd);
        try {
            World.awaitTrue(
                    Duration.ofSeconds(60),
                    "the second Docker engine",
                    () -> run(Duration.ofSeconds(10), "docker", "-H", engine.dockerHost, "info")
                                    .code()
                            == 0);
            run(
                            Duration.ofMinutes(2),
                            "sh",
                            "-c",
                            "docker save " + IMAGE + " | docker -H " + engine.dockerHost + " load")
                    .assertOk();
        } catch (RuntimeException | AssertionError e) {
            engine.close();
            throw e;
        }
        return engine;
    }

    /**
     * Whether {@code text} appears anywhere in the disk's raw bytes (sync first). grep reads them as records
     * ended by NUL, so the zeros of unused space are no line it must hold whole, and it skips the holes.
     */
    public boolean rawBytesContain(String text) {
        run(Duration.ofSeconds(60), "sync").assertOk();
        World.Result grep =
                run(Duration.ofMinutes(2), "env", "LC_ALL=C", "grep", "-z", "-c", "-a", "-F", text, image.toString());
        if (grep.code() > 1) {
            fail("cannot read " + image + ": " + grep);
        }
        return grep.code() == 0;
    }

    /** Ends the engine's containers and the engine (SIGTERM, by its PID), then unmounts all on the disk, and it. */
    @Override
    public void close() {
        if (dockerd.isAlive()) {
            World.Result ids = run(Duration.ofSeconds(30), "docker", "-H", dockerHost, "ps", "-aq");
            for (String id : ids.out().lines().filter(l -> !l.isBlank()).toList()) {
                run(Duration.ofSeconds(30), "docker", "-H", dockerHost, "rm", "-f", id);
            }
            run(Duration.ofSeconds(30), "docker", "-H", dockerHost, "network", "prune", "-f"); // their bridges
            dockerd.destroy();
            try {
                if (!dockerd.waitFor(60, TimeUnit.SECONDS)) {
                    dockerd.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            for (String mountPoint : World.mountsUnder(mount, runDir)) {
                run(Duration.ofSeconds(30), "umount", mountPoint);
            }
            run(Duration.ofSeconds(30), "umount", mount.toString());
            run(Duration.ofSeconds(30), "rm", "-rf", runDir.toString());
            run(Duration.ofSeconds(10), "ip", "link", "del", BRIDGE);
        } catch (IOException e) {
            throw new AssertionError("cannot clean up the loop disk at " + mount, e);
        }
    }
}
