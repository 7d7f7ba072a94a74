package io.edgerent.hub.store;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.payment.SettlementRail;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
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
import java.util.Comparator;
import java.util.List;

/**
 * What a heartbeat's write costs on the embedded database, with N devices registered, rented and paid for, each
 * way it has been written, in group-commit-sized transactions of 128, in the same run: the device row (before
 * V18); the narrow liveness row ({@code device_heard}) and the rental's channel row for its meter (V18); the
 * liveness row with the meter in it (V19, what a heartbeat of a served rental writes now). Run with
 * scripts/bench-heartbeat-write.sh [DEVICES]; results in docs/benchmarks.md.
 */
public final class HeartbeatWriteBenchmark {
    private static final int PER_COMMIT = 128;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Path dir = Files.createTempDirectory("heartbeat-write-bench");
        Database database = Database.embedded(dir);
        Sql sql = new Sql(database);
        Services services = Services.on(
                sql, HubConfig.builder().dataDir(dir).tunnelPorts(1024, 32767).build(), Clock.systemUTC());
        String ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        KeyPair renter = Ed25519.generate();
        byte[] renterKey = Ed25519.raw(renter.getPublic());
        SettlementRail.internal(services.ledger()).deposit(Ledger.renterWallet(renterKey), Long.MAX_VALUE / 8, "bank");
        String[] devices = new String[n];
        String[] rentals = new String[n];
        long started = System.nanoTime();
        try (GroupCommit commits = new GroupCommit(sql)) {
            VoucherDesk desk = new VoucherDesk(services, commits);
            for (int i = 0; i < n; i++) {
                devices[i] = TestDevices.register(services.devices(), "bench");
                Prices prices = new Prices(3600, 0);
                services.rentals().heartbeat(devices[i], new Heartbeat(DeviceState.LISTED, null, prices));
                rentals[i] = services.rentals()
                        .rent(renterKey, new RentRequest(devices[i], 1, ssh, 3600, 1_000_000), ssh)
                        .name();
                desk.submit(Voucher.sign(renter, rentals[i], 0, 0, System.currentTimeMillis()))
                        .get();
                services.rentals().heartbeat(devices[i], new Heartbeat(DeviceState.RENTED, rentals[i], prices));
            }
        }
        System.out.printf(
                "%,d devices registered, rented and paid for in %d s%n",
                n, (System.nanoTime() - started) / 1_000_000_000L);
        List<Write> writes = List.of(
                new Write(
                        "the device row (before V18)",
                        (d, r, now) -> sql.update("UPDATE device SET registered_at = ? WHERE id = ?", now, d)),
                new Write("device_heard and the channel's meter (V18)", (d, r, now) -> {
                    sql.update("UPDATE device_heard SET last_seen = ? WHERE device_id = ?", now, d);
                    sql.update(
                            "UPDATE channel SET billed_ms = billed_ms + ?, metered_until = ? WHERE rental = ?",
                            1000,
                            now,
                            r);
                }),
                new Write(
                        "device_heard with the meter (V19, now)",
                        (d, r, now) -> sql.update(
                                "UPDATE device_heard SET last_seen = ?, online_day_ms = online_day_ms + ?, metered_rental = ?,"
                                        + " metered_ms = metered_ms + ?, metered_until = ? WHERE device_id = ?",
                                now,
                                1000,
                                r,
                                1000,
                                now,
                                d)));
        double[] micros = new double[writes.size()];
        int rounds = 5;
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
            StringBuilder line = new StringBuilder("round " + round + ":");
            for (int w = 0; w < writes.size(); w++) {
                double m = micros(sql, writes.get(w).heartbeat(), devices, rentals, round);
                line.append(String.format(" %.1f", m));
                if (round > 0) {
                    micros[w] += m / rounds;
                }
            }
            System.out.println(line.append(" us a heartbeat"));
        }
        database.close();
        for (int w = 0; w < writes.size(); w++) {
            System.out.printf(
                    "a heartbeat's write, %s: %.1f us%n", writes.get(w).name(), micros[w]);
        }
        System.out.printf(
                "ratio V19/V18 (a served rental's heartbeat) %.2f; V18's device_heard alone was the device row's"
                        + " replacement (see docs/benchmarks.md)%n",
                micros[2] / micros[1]);
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** One way of writing a heartbeat: what it runs for device {@code d} serving rental {@code r}. */
    private record Write(String name, Writer heartbeat) {}

    private interface Writer {
        void write(String device, String rental, long now);
    }

    /** Microseconds a heartbeat, written once for 51,200 devices in a spread order, 128 a transaction. */
    private static double micros(Sql sql, Writer heartbeat, String[] devices, String[] rentals, int round) {
        int transactions = 400;
        long start = System.nanoTime();
        for (int t = 0; t < transactions; t++) {
            int base = (round * transactions + t) * PER_COMMIT;
            sql.transaction(() -> {
                for (int j = 0; j < PER_COMMIT; j++) {
                    // 7919 is prime, so consecutive statements touch devices far apart, as a fleet's heartbeats do.
                    int i = (int) (((base + j) * 7919L) % devices.length);
                    heartbeat.write(devices[i], rentals[i], System.currentTimeMillis());
                }
            });
        }
        return (System.nanoTime() - start) / 1000.0 / (transactions * PER_COMMIT);
    }
}
