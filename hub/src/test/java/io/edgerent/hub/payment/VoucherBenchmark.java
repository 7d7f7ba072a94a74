package io.edgerent.hub.payment;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.TestDevices;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.Voucher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Durable voucher processing (verify, persist, acknowledge) on the embedded database, with
 * several concurrent channels, against the raw Ed25519 verification rate measured in the same
 * run with the same threads. Run with scripts/bench-vouchers.sh; results in docs/benchmarks.md.
 */
public final class VoucherBenchmark {
    public static void main(String[] args) throws Exception {
        int channels = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int perChannel = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        // One renter per channel, each waiting for its acknowledgement before the next voucher, as real clients do.
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : channels;
        Path dir = Files.createTempDirectory("voucher-bench");
        Database database = Database.embedded(dir);
        Sql sql = new Sql(database);
        Services services = Services.on(sql, HubConfig.builder().dataDir(dir).build(), Clock.systemUTC());
        String ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

        List<List<Voucher>> work = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            KeyPair renter = Ed25519.generate();
            byte[] renterKey = Ed25519.raw(renter.getPublic());
            String device = TestDevices.register(services.devices(), "bench");
            services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, new Prices(3600, 0)));
            SettlementRail.internal(services.ledger())
                    .deposit(Ledger.renterWallet(renterKey), Long.MAX_VALUE / 8, "bank-" + c);
            String rental = services.rentals()
                    .rent(renterKey, new RentRequest(device, 1, ssh, 3600, Long.MAX_VALUE / 8), ssh)
                    .name();
            List<Voucher> vouchers = new ArrayList<>();
            for (int i = 0; i < perChannel; i++) {
                vouchers.add(Voucher.sign(renter, rental, i, i, System.currentTimeMillis()));
            }
            work.add(vouchers);
            keys.add(renterKey);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        GroupCommit commits = new GroupCommit(sql);
        VoucherDesk desk = new VoucherDesk(services, commits);
        int rounds = 5;
        int slice = perChannel
                / (rounds + 1); // the first slice of each channel warms the JIT up, one slice per round after
        List<Double> verifyRates = new ArrayList<>();
        List<Double> durableRates = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) {
            int from = round * slice;
            int to = from + slice;
            double verify = measure(pool, (long) channels * slice, channelTasks(channels, threads, c -> {
                for (Voucher v : work.get(c).subList(from, to)) {
                    if (!v.verifies(keys.get(c))) {
                        throw new IllegalStateException("bad voucher");
                    }
                }
            }));
            double durable = measure(pool, (long) channels * slice, channelTasks(channels, threads, c -> {
                for (Voucher v : work.get(c).subList(from, to)) {
                    desk.submit(v).get(); // acknowledged: stored and committed
                }
            }));
            if (round > 0) {
                verifyRates.add(verify);
                durableRates.add(durable);
            }
        }
        commits.close();
        pool.shutdown();
        database.close();
        double verifyRate = median(verifyRates);
        double durableRate = median(durableRates);
        System.out.printf(
                "channels %d, vouchers per round %d, rounds %d (after one warm-up), threads %d, cores %d%n",
                channels,
                channels * slice,
                rounds,
                threads,
                Runtime.getRuntime().availableProcessors());
        System.out.printf("raw Ed25519 verification: median %,.0f/s  (rounds %s)%n", verifyRate, format(verifyRates));
        System.out.printf(
                "durable vouchers (verify, persist, acknowledge): median %,.0f/s  (rounds %s)%n",
                durableRate, format(durableRates));
        System.out.printf(
                "ratio durable/raw: %.2f (target >= 0.5); target >= 5,000/s: %s%n",
                durableRate / verifyRate, durableRate >= 5000 ? "met" : "NOT met");
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.format("%,.0f", v)).toList().toString();
    }

    interface ChannelWork {
        void run(int channel) throws Exception;
    }

    /** Splits the channels over the threads; each thread walks its channels' vouchers in order. */
    private static List<Callable<Void>> channelTasks(int channels, int threads, ChannelWork work) {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            tasks.add(() -> {
                for (int c = first; c < channels; c += threads) {
                    work.run(c);
                }
                return null;
            });
        }
        return tasks;
    }

    private static double measure(ExecutorService pool, long operations, List<Callable<Void>> tasks) throws Exception {
        long start = System.nanoTime();
        for (Future<Void> f : pool.invokeAll(tasks)) {
            f.get();
        }
        return operations / ((System.nanoTime() - start) / 1e9);
    }
}
