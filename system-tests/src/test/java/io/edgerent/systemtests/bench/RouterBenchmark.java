package io.edgerent.systemtests.bench;

import io.edgerent.systemtests.support.Curl;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP router under load and under attack, in one run, with {@code wrk} (Debian) as the client:
 * <ul>
 *   <li>keep-alive {@code GET /} of the test web server in a rental's container, at 4, 16 and 64 connections,
 *       through the router ({@code Host: RENTAL.localhost}) against the same server reached the same way without
 *       the router (the hub's loopback end of the device's HTTP tunnel, where the router connects) and at the
 *       container's own address; rounds alternate;
 *   <li>10,000 idle keep-alive connections held (50 from each of 200 loopback addresses): the hub's heap and
 *       threads before and after (the hub runs in this JVM);
 *   <li>a slowloris of 2,000 connections from 127.0.0.2 while {@code wrk} from 127.0.0.1 measures its p99,
 *       against the same {@code wrk} without the slowloris.
 * </ul>
 */
public final class RouterBenchmark {
    private static final Path BENCH = World.ROOT.resolve("system-tests/src/test/resources/bench");

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int streamMinutes = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Path dir = Files.createTempDirectory("edgerent-bench");
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            String container = World.containersOf(rental).get(0);
            String address = World.containerAddress(container);
            renter.startWebServer(rental);
            String host = rental + ".localhost";
            String routed = "http://127.0.0.1:" + world.httpPort + "/";
            World.awaitTrue(
                    Duration.ofSeconds(30),
                    "the web server through the router",
                    () -> Curl.curl("-s", "-H", "Host: " + host, routed).out().startsWith("hello"));
            String tunnel = null;
            for (int p = world.tunnelPort; p < world.tunnelPort + 10 && tunnel == null; p++) {
                String url = "http://127.0.0.1:" + p + "/";
                if (Curl.curl("-s", "-m", "2", url).out().equals("hello from " + rental + "\n")) {
                    tunnel = url;
                }
            }
            if (tunnel == null) {
                throw new IllegalStateException("the hub's end of the HTTP tunnel was not found");
            }
            String direct = "http://" + address + ":80/";
            // An event stream with one event a minute, through the router, held open while everything else runs.
            var stream = java.util.concurrent.CompletableFuture.supplyAsync(() -> streamMinutes == 0
                    ? null
                    : World.run(
                            Duration.ofMinutes(streamMinutes + 2L),
                            "curl",
                            "-sN",
                            "-H",
                            "Host: " + host,
                            "-w",
                            "%{http_code}",
                            routed + "events?n=" + (streamMinutes + 1) + "&every=60"));

            System.out.printf(
                    "keep-alive GET / (python3 ThreadingHTTPServer in the container), wrk %d s per run, %d rounds,"
                            + " alternating%n",
                    seconds, rounds);
            // Warm up the JIT on every path before anything is measured.
            wrk(routed, host, 4, 5, "127.0.0.1");
            wrk(tunnel, null, 4, 5, "127.0.0.1");
            wrk(direct, null, 4, 5, "127.0.0.1");
            for (int connections : new int[] {4, 16, 64}) {
                List<Wrk> viaRouter = new ArrayList<>();
                List<Wrk> viaTunnel = new ArrayList<>();
                List<Wrk> atContainer = new ArrayList<>();
                long routerCpu = 0;
                long gatewayCpu = 0;
                long routedRequests = 0;
                for (int r = 0; r < rounds; r++) {
                    long router0 = cpuNanos("http-");
                    long gateway0 = cpuNanos("sshd-");
                    Wrk run = wrk(routed, host, connections, seconds, "127.0.0.1");
                    routerCpu += cpuNanos("http-") - router0;
                    gatewayCpu += cpuNanos("sshd-") - gateway0;
                    routedRequests += run.requests;
                    viaRouter.add(run);
                    viaTunnel.add(wrk(tunnel, null, connections, seconds, "127.0.0.1"));
                    atContainer.add(wrk(direct, null, connections, seconds, "127.0.0.1"));
                }
                Wrk router = Wrk.mean(viaRouter);
                Wrk same = Wrk.mean(viaTunnel);
                Wrk container0 = Wrk.mean(atContainer);
                System.out.printf(
                        "  %2d connections: router %,.0f req/s p50 %.2f ms p99 %.2f ms | tunnel end %,.0f req/s p50 %.2f"
                                + " ms p99 %.2f ms | container %,.0f req/s p50 %.2f ms | router/tunnel %.2f,"
                                + " added p50 %.2f ms | router/container %.2f | CPU per routed request: router"
                                + " %.0f us, SSH gateway %.0f us%n",
                        connections,
                        router.rate,
                        router.p50,
                        router.p99,
                        same.rate,
                        same.p50,
                        same.p99,
                        container0.rate,
                        container0.p50,
                        router.rate / same.rate,
                        router.p50 - same.p50,
                        router.rate / container0.rate,
                        routerCpu / 1e3 / routedRequests,
                        gatewayCpu / 1e3 / routedRequests);
            }

            // Idle keep-alive connections: what each costs the hub.
            long heapBefore = heapAfterGc();
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            int idle = 10_000;
            Process holder = new ProcessBuilder(
                            "python3",
                            BENCH.resolve("idle-clients.py").toString(),
                            Integer.toString(idle),
                            Integer.toString(world.httpPort),
                            "localhost",
                            "/assets/app.css")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            BufferedReader said =
                    new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            String line = said.readLine();
            double setup = (System.nanoTime() - t0) / 1e9;
            if (line == null || !line.equals("held " + idle)) {
                throw new IllegalStateException("the idle clients said " + line);
            }
            long heapHeld = heapAfterGc();
            int threadsHeld = ManagementFactory.getThreadMXBean().getThreadCount();
            Wrk meanwhile = wrk(routed, host, 4, seconds, "127.0.0.1");
            holder.getOutputStream().close();
            holder.waitFor();
            System.out.printf(
                    "idle: %,d keep-alive connections opened and answered in %.1f s; hub heap %,d -> %,d bytes (%,d per"
                            + " connection), JVM threads %d -> %d; meanwhile 4 clients through the router: %,.0f"
                            + " req/s p99 %.2f ms%n",
                    idle,
                    setup,
                    heapBefore,
                    heapHeld,
                    (heapHeld - heapBefore) / idle,
                    threadsBefore,
                    threadsHeld,
                    meanwhile.rate,
                    meanwhile.p99);

            // A slowloris from one address, and a client from another.
            Wrk calm = wrk(routed, host, 4, seconds, "127.0.0.1");
            Process loris = new ProcessBuilder(
                            "python3",
                            BENCH.resolve("slowloris.py").toString(),
                            "2000",
                            "127.0.0.2",
                            Integer.toString(world.httpPort))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            Thread.sleep(3000);
            Wrk attacked = wrk(routed, host, 4, seconds, "127.0.0.1");
            loris.getOutputStream().close();
            String lorisSaid = new String(loris.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            loris.waitFor();
            System.out.printf(
                    "slowloris of 2,000 connections from 127.0.0.2 (%s): a client from 127.0.0.1 %,.0f req/s p50 %.2f ms"
                            + " p99 %.2f ms, errors %d; without it %,.0f req/s p50 %.2f ms p99 %.2f ms%n",
                    lorisSaid,
                    attacked.rate,
                    attacked.p50,
                    attacked.p99,
                    attacked.errors,
                    calm.rate,
                    calm.p50,
                    calm.p99);
            World.Result streamed = stream.get();
            if (streamed != null) {
                long events = streamed.out()
                        .lines()
                        .filter(l -> l.startsWith("data: "))
                        .count();
                System.out.printf(
                        "event stream through the router: %d of %d events over %d minutes, curl exit %d%n",
                        events, streamMinutes + 1, streamMinutes, streamed.code());
            }
        }
    }

    /** One wrk run: requests per second, median and 99th percentile latency in ms, and non-2xx or socket errors. */
    record Wrk(double rate, double p50, double p99, long errors, long requests) {
        static Wrk mean(List<Wrk> runs) {
            return new Wrk(
                    runs.stream().mapToDouble(Wrk::rate).average().orElse(0),
                    runs.stream().mapToDouble(Wrk::p50).average().orElse(0),
                    runs.stream().mapToDouble(Wrk::p99).average().orElse(0),
                    runs.stream().mapToLong(Wrk::errors).sum(),
                    runs.stream().mapToLong(Wrk::requests).sum());
        }
    }

    private static Wrk wrk(String url, String host, int connections, int seconds, String from) {
        List<String> command = new ArrayList<>(
                List.of("wrk", "-t", "2", "-c", Integer.toString(connections), "-d", seconds + "s", "--latency"));
        if (host != null) {
            command.addAll(List.of("-H", "Host: " + host));
        }
        command.add(url);
        World.Result r = World.run(Duration.ofSeconds(seconds + 30L), command.toArray(String[]::new))
                .assertOk();
        String out = r.out();
        return new Wrk(
                number(out, "Requests/sec:\\s+([0-9.]+)"),
                millis(out, "50%"),
                millis(out, "99%"),
                (long) (optional(out, "Non-2xx or 3xx responses:\\s+([0-9]+)")
                        + optional(out, "Socket errors: connect ([0-9]+)")
                        + optional(out, "read ([0-9]+), write")
                        + optional(out, "timeout ([0-9]+)")),
                (long) number(out, "([0-9]+) requests in"));
    }

    private static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("wrk said no " + regex + ":\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    private static double optional(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static double millis(String out, String percentile) {
        Matcher m =
                Pattern.compile("\\s" + percentile + "\\s+([0-9.]+)(us|ms|s)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("wrk said no " + percentile + " latency:\n" + out);
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }

    /** CPU time of this JVM's threads whose names start so (the router's event loops, the SSH gateway's). */
    private static long cpuNanos(String prefix) {
        var threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(prefix)) {
                sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return sum;
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
