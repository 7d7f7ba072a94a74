package io.edgerent.edge.containers.docker;

import io.edgerent.edge.containers.ContainerSpec;
import io.edgerent.edge.containers.RunningContainer;
import io.edgerent.edge.hostos.Host;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.local.TestVolumes;
import io.edgerent.protocol.Template;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Rental turnaround on this device: from a rental's end (container and network removed, volume
 * erased) to the next rental's fresh container ready (new network and encrypted volume, container
 * started, its sshd accepting), against a bare {@code docker rm -f} + {@code docker run -d} of the
 * same image in the same run. Real Docker engine, real fscrypt. Run by scripts/bench-turnaround.sh.
 */
public final class TurnaroundBenchmark {
    private static final String IMAGE = "edgerent/renter-base:latest";
    private static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchmarkKeyBenchmarkKeyBenchmarkKey00 bench";

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Path base = Files.createTempDirectory("edgerent-turnaround");
        RentalVolumes volumes = TestVolumes.fscrypt(base.resolve("volumes"));
        DockerContainers containers = new DockerContainers(volumes, config());
        String device = "d-00000000beef";
        List<Long> ours = new ArrayList<>();
        List<Long> bare = new ArrayList<>();
        String previous = rentalName(0);
        ready(containers.start(new ContainerSpec(previous, device, Template.BASE, List.of(KEY), null)));
        String bareId = Host.run(
                "docker",
                "run",
                "-d",
                "--label",
                "io.edgerent.device=" + device,
                "-e",
                "EDGERENT_AUTHORIZED_KEYS=" + KEY,
                IMAGE);
        try {
            for (int round = 0; round <= rounds; round++) { // round 0 warms up
                long start = System.nanoTime();
                Host.run("docker", "rm", "-f", bareId);
                bareId = Host.run(
                        "docker",
                        "run",
                        "-d",
                        "--label",
                        "io.edgerent.device=" + device,
                        "-e",
                        "EDGERENT_AUTHORIZED_KEYS=" + KEY,
                        IMAGE);
                long bareNanos = System.nanoTime() - start;

                String next = rentalName(round + 1);
                start = System.nanoTime();
                containers.remove(previous);
                if (!volumes.erase(previous).verified()) {
                    throw new IllegalStateException("the erasure of " + previous + " did not verify");
                }
                ready(containers.start(new ContainerSpec(next, device, Template.BASE, List.of(KEY), null)));
                long ourNanos = System.nanoTime() - start;
                previous = next;
                if (round > 0) {
                    bare.add(bareNanos);
                    ours.add(ourNanos);
                }
            }
        } finally {
            Host.run("docker", "rm", "-f", bareId);
            containers.remove(previous);
            volumes.erase(previous);
            containers.deactivate();
            Host.run("docker", "network", "rm", "edgerent-" + device);
            Host.deleteTree(base); // the unpacked image
        }
        long bareMedian = median(bare);
        long ourMedian = median(ours);
        double ratio = (double) ourMedian / bareMedian;
        System.out.printf(
                Locale.ROOT,
                "rounds %d (after one warm-up), storage fscrypt, cores %d%n",
                rounds,
                Runtime.getRuntime().availableProcessors());
        System.out.printf(
                Locale.ROOT,
                "bare docker rm -f + docker run -d: median %d ms  (rounds %s)%n",
                bareMedian / 1_000_000,
                millis(bare));
        System.out.printf(
                Locale.ROOT,
                "rental turnaround (wipe + fresh encrypted volume and container, sshd ready): median %d ms"
                        + "  (rounds %s)%n",
                ourMedian / 1_000_000,
                millis(ours));
        System.out.printf(Locale.ROOT, "ratio turnaround/bare: %.2f (target <= 2)%n", ratio);
    }

    private static String rentalName(int i) {
        return String.format("r-%012x", 0xbe000L + i);
    }

    private static void ready(RunningContainer container) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(container.address(), container.sshPort()), 500);
                if (s.getInputStream().read() >= 0) { // sshd's banner: it is serving, not just listening
                    return;
                }
            } catch (IOException notYet) {
                Thread.sleep(5);
            }
        }
        throw new IllegalStateException("sshd of " + container.rental() + " not ready within 30 s");
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static String millis(List<Long> values) {
        return values.stream().map(v -> String.valueOf(v / 1_000_000)).toList().toString();
    }

    private static DockerContainers.Config config() {
        return new DockerContainers.Config() {
            public Class<? extends Annotation> annotationType() {
                return DockerContainers.Config.class;
            }

            public String docker_host() {
                return "unix:///var/run/docker.sock";
            }

            public String image() {
                return IMAGE;
            }

            public int memory_mib() {
                return 512;
            }

            public int cpu_millicores() {
                return 1000;
            }

            public int pids_limit() {
                return 256;
            }

            public int storage_mib() {
                return 1024;
            }

            public boolean egress() {
                return true;
            }

            public String dns_servers() {
                return Resolvers.DEFAULT;
            }
        };
    }
}
