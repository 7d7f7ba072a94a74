package io.edgerent.systemtests.bench;

import io.edgerent.systemtests.support.Curl;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Throughput and HTTP benchmarks of a rental's access path, each against a baseline measured in
 * the same run on the same loopback path and the same container:
 *
 * <ul>
 *   <li>bulk bytes from the renter's {@code ssh} into the container's sshd, through the gateway and
 *       the device's JSch tunnel, against OpenSSH's {@code sshd} (in a host-network container made
 *       here from the renter image) with an OpenSSH {@code ssh -R} tunnel;
 *   <li>HTTP requests/s and p50 latency through the router, against the same web server reached
 *       directly at the container's address.
 * </ul>
 *
 * Run with {@code scripts/bench-tunnels.sh [MIB] [ROUNDS]}.
 */
public final class TunnelBenchmark {
    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("edgerent-bench");
        String baselineContainer = null;
        Process reverse = null;
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            String container = World.containersOf(rental).get(0);
            String address = World.containerAddress(container);
            renter.startWebServer(rental);

            // Baseline: OpenSSH's sshd on host loopback, and the "device" holding an ssh -R to the same container sshd.
            int sshdPort = World.freePort();
            int reversePort = World.freePort();
            Path deviceKey = dir.resolve("baseline-device");
            World.run(Duration.ofSeconds(20), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", deviceKey.toString())
                    .assertOk();
            String keys =
                    Files.readString(Path.of(deviceKey + ".pub")) + Files.readString(Path.of(renter.key + ".pub"));
            baselineContainer = World.run(
                            Duration.ofSeconds(60),
                            "docker",
                            "run",
                            "-d",
                            "--rm",
                            "--network",
                            "host",
                            "-e",
                            "KEYS=" + keys,
                            "edgerent/renter-base:latest",
                            "sh",
                            "-c",
                            "mkdir -p /root/.ssh /run/sshd && printf '%s' \"$KEYS\""
                                    + " > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys && ssh-keygen -A >/dev/null &&"
                                    + " exec /usr/sbin/sshd -D -e -p " + sshdPort
                                    + " -o ListenAddress=127.0.0.1 -o AllowTcpForwarding=yes")
                    .assertOk()
                    .out()
                    .strip();
            String[] common = {
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "LogLevel=ERROR"
            };
            List<String> reverseCommand = new ArrayList<>(List.of(
                    "ssh",
                    "-N",
                    "-i",
                    deviceKey.toString(),
                    "-o",
                    "ExitOnForwardFailure=yes",
                    "-p",
                    String.valueOf(sshdPort),
                    "-R",
                    "127.0.0.1:" + reversePort + ":" + address + ":22"));
            reverseCommand.addAll(List.of(common));
            reverseCommand.add("root@127.0.0.1");
            World.awaitTrue(
                    Duration.ofSeconds(30),
                    "the baseline sshd",
                    () -> World.run(
                                            Duration.ofSeconds(10),
                                            "ssh",
                                            "-i",
                                            deviceKey.toString(),
                                            "-p",
                                            String.valueOf(sshdPort),
                                            "-o",
                                            "StrictHostKeyChecking=no",
                                            "-o",
                                            "UserKnownHostsFile=/dev/null",
                                            "-o",
                                            "BatchMode=yes",
                                            "root@127.0.0.1",
                                            "true")
                                    .code()
                            == 0);
            reverse = new ProcessBuilder(reverseCommand)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("baseline-reverse.log").toFile())
                    .start();

            Path ourConfig = renter.home.resolve("ssh_config");
            String[] ours = {
                "ssh", "-F", ourConfig.toString(), "-J", rental + "@127.0.0.1:" + world.sshPort, "root@" + rental
            };
            String jump = "root@127.0.0.1:" + sshdPort;
            String[] baseline = {
                "ssh", "-F", ourConfig.toString(), "-J", jump, "-p", String.valueOf(reversePort), "root@127.0.0.1"
            };
            World.awaitTrue(Duration.ofSeconds(30), "the baseline path", () -> bulk(baseline, 1) > 0);
            World.awaitTrue(Duration.ofSeconds(30), "our path", () -> bulk(ours, 1) > 0);

            System.out.printf(
                    "bulk: %d MiB renter -> container sshd (cat > /dev/null), %d rounds, alternating%n", mib, rounds);
            List<Double> ourRates = new ArrayList<>();
            List<Double> baseRates = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                baseRates.add(bulk(baseline, mib));
                ourRates.add(bulk(ours, mib));
                System.out.printf(
                        "  round %d: edgerent %.0f Mbit/s, OpenSSH sshd + ssh -R %.0f Mbit/s%n",
                        i + 1, ourRates.get(i), baseRates.get(i));
            }
            double ourMedian = median(ourRates);
            double baseMedian = median(baseRates);
            System.out.printf(
                    "bulk median: edgerent %.0f Mbit/s, OpenSSH %.0f Mbit/s, ratio %.2f (target >= 1.0)%n",
                    ourMedian, baseMedian, ourMedian / baseMedian);

            String routed = "http://127.0.0.1:" + world.httpPort + "/";
            String direct = "http://" + address + ":80/";
            World.awaitTrue(
                    Duration.ofSeconds(30),
                    "the web server",
                    () -> Curl.curl("-s", direct).code() == 0);
            System.out.println(
                    "http: GET / (python3 ThreadingHTTPServer in the container), 4 keep-alive clients, 10 s each, alternating");
            List<double[]> routedRuns = new ArrayList<>();
            List<double[]> directRuns = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                directRuns.add(http(direct, null));
                routedRuns.add(http(routed, rental + ".localhost"));
                System.out.printf(
                        "  round %d: router %.0f req/s p50 %.2f ms, direct %.0f req/s p50 %.2f ms%n",
                        i + 1,
                        routedRuns.get(i)[0],
                        routedRuns.get(i)[1],
                        directRuns.get(i)[0],
                        directRuns.get(i)[1]);
            }
            double routedRate = (routedRuns.get(0)[0] + routedRuns.get(1)[0]) / 2;
            double directRate = (directRuns.get(0)[0] + directRuns.get(1)[0]) / 2;
            double addedP50 = (routedRuns.get(0)[1]
                            + routedRuns.get(1)[1]
                            - directRuns.get(0)[1]
                            - directRuns.get(1)[1])
                    / 2;
            System.out.printf(
                    "http: router %.0f req/s vs direct %.0f req/s, ratio %.2f; added p50 latency %.2f ms%n",
                    routedRate, directRate, routedRate / directRate, addedP50);
        } finally {
            if (reverse != null) {
                reverse.destroy();
            }
            if (baselineContainer != null) {
                World.run(Duration.ofSeconds(30), "docker", "rm", "-f", baselineContainer);
            }
        }
    }

    /** Pushes {@code mib} MiB of zeros through ssh into {@code cat > /dev/null}; answers Mbit/s, or 0 on failure. */
    private static double bulk(String[] ssh, int mib) {
        List<String> command = new ArrayList<>(
                List.of("sh", "-c", "head -c " + ((long) mib << 20) + " /dev/zero | \"$@\" 'cat > /dev/null'", "bulk"));
        command.addAll(List.of(ssh));
        long start = System.nanoTime();
        World.Result r = World.run(Duration.ofMinutes(10), command.toArray(String[]::new));
        double seconds = (System.nanoTime() - start) / 1e9;
        return r.code() == 0 ? mib * 8.0 * 1.048576 / seconds : 0;
    }

    /** Four clients on keep-alive connections for 10 s: answers {requests/s, p50 ms}. */
    private static double[] http(String url, String host) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (host != null) {
            builder.header("Host", host);
        }
        HttpRequest request = builder.build();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            HttpClient client =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Thread thread = new Thread(() -> {
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            latencies.add(System.nanoTime() - start);
                        }
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        Thread.sleep(10_000);
        stop.set(true);
        for (Thread thread : threads) {
            thread.join();
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new double[] {sorted.size() / 10.0, sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2) / 1e6};
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
