package io.edgerent.hub.store;

import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.UsageReport;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hub's database writer held at saturation for longer than a fleet benchmark's saturated phase: N devices
 * rented and paid for, then heartbeats and usage reports (two to one, as {@code FleetBenchmark}'s saturated phase
 * sends them) through the hub's own {@link GroupCommit} with 256 in flight (or IN_FLIGHT), no network, the hub's chunk
 * housekeeping running. Every five seconds it prints the rate, the writer's CPU a request and what the embedded
 * store holds (chunks, file size): whether the writer slows as it runs, and what grows with it. Run with
 * scripts/bench-writer-soak.sh [DEVICES [SECONDS [USAGE_EVERY [IN_FLIGHT]]]]; results in docs/benchmarks.md.
 */
public final class WriterSoakBenchmark {
    private static final int SLOT_SECONDS = 5;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 90;
        int usageEvery = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        try (RentedFleet fleet = RentedFleet.create(n, "writer-soak-bench")) {
            fleet.database().startHousekeeping();
            new WriterSoakBenchmark(fleet, usageEvery, inFlight).run(seconds);
        }
    }

    private final RentedFleet fleet;
    private final long[] usageSequence;
    private final long rentedAt = System.currentTimeMillis();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile boolean running = true;

    /** Every how many requests one is a usage report (3: two heartbeats to one; 0: heartbeats only). */
    private final int usageEvery;

    /** Requests in flight: each answer sends the next (256: the fleet benchmark's saturated phase). */
    private final int inFlight;

    private WriterSoakBenchmark(RentedFleet fleet, int usageEvery, int inFlight) {
        this.fleet = fleet;
        this.usageEvery = usageEvery;
        this.inFlight = inFlight;
        this.usageSequence = new long[fleet.devices().length];
    }

    private void run(int seconds) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (GroupCommit commits = new GroupCommit(fleet.sql())) {
            long writer = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("group-commit"))
                    .findFirst()
                    .orElseThrow()
                    .getId();
            CountDownLatch chains = new CountDownLatch(inFlight);
            for (int c = 0; c < inFlight; c++) {
                next(commits, c, chains);
            }
            System.out.println("second  requests/s  writer us/request  a commit carried  chunks  file MB  refused");
            long lastCount = 0;
            long lastCommits = 0;
            long lastPieces = 0;
            long lastCpu = threads.getThreadCpuTime(writer);
            long lastTime = System.nanoTime();
            double[] rates = new double[seconds / SLOT_SECONDS];
            for (int slot = 0; slot < rates.length; slot++) {
                Thread.sleep(SLOT_SECONDS * 1000L);
                long count = answered.get();
                long cpu = threads.getThreadCpuTime(writer);
                long time = System.nanoTime();
                String[] store = commits.submit(
                                () -> new String[] {setting("info.CHUNK_COUNT"), setting("info.FILE_SIZE")})
                        .get();
                rates[slot] = (count - lastCount) * 1e9 / (time - lastTime);
                System.out.printf(
                        "%6d  %10.0f  %17.1f  %15.1f  %6s  %7d  %7d%n",
                        (slot + 1) * SLOT_SECONDS,
                        rates[slot],
                        (cpu - lastCpu) / 1000.0 / Math.max(1, count - lastCount),
                        (commits.pieces() - lastPieces) / (double) Math.max(1, commits.commits() - lastCommits),
                        store[0],
                        Long.parseLong(store[1]) >> 20,
                        refused.get());
                lastCount = count;
                lastCommits = commits.commits();
                lastPieces = commits.pieces();
                lastCpu = cpu;
                lastTime = time;
            }
            running = false;
            chains.await();
            int third = Math.max(1, rates.length / 3);
            System.out.printf(
                    "requests/s, first third %.0f, last third %.0f: last/first %.2f%n",
                    mean(rates, 0, third),
                    mean(rates, rates.length - third, rates.length),
                    mean(rates, rates.length - third, rates.length) / mean(rates, 0, third));
        }
    }

    /** Chain {@code k}'s next request (every third a usage report), sent when its last one is answered. */
    private void next(GroupCommit commits, long k, CountDownLatch chains) {
        if (!running) {
            chains.countDown();
            return;
        }
        int i = (int) ((k * 7919L) % fleet.devices().length);
        String device = fleet.devices()[i];
        String rental = fleet.rentals()[i];
        var answer = usageEvery > 0 && k % usageEvery == usageEvery - 1
                ? commits.submit(() -> {
                    long online = (System.currentTimeMillis() - rentedAt) / 1000;
                    long seq = ++usageSequence[i];
                    return fleet.services()
                            .payments()
                            .recordUsage(device, new UsageReport(rental, seq, online, online / 60, 64L << 20, seq, 0));
                })
                : commits.submit(() -> fleet.services()
                        .rentals()
                        .heartbeat(device, new Heartbeat(DeviceState.RENTED, rental, RentedFleet.PRICES)));
        answer.whenComplete((result, failure) -> {
            (failure == null ? answered : refused).incrementAndGet();
            next(commits, k + inFlight, chains);
        });
    }

    private String setting(String name) {
        return fleet.sql()
                .one("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = ?", name)
                .orElseThrow()
                .text(1);
    }

    private static double mean(double[] values, int from, int to) {
        return Arrays.stream(values, from, to).average().orElse(0);
    }
}
