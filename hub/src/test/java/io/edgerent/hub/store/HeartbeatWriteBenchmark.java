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

/**
 * What a heartbeat's write costs on the embedded database, with N devices registered, rented and paid for: an
 * update of the narrow liveness row ({@code device_heard}, what a heartbeat writes) against the same update of the
 * device row (what it wrote before V18), each in group-commit-sized transactions of 128, in the same run. Run with
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
        long started = System.nanoTime();
        try (GroupCommit commits = new GroupCommit(sql)) {
            VoucherDesk desk = new VoucherDesk(services, commits);
            for (int i = 0; i < n; i++) {
                devices[i] = TestDevices.register(services.devices(), "bench");
                Prices prices = new Prices(3600, 0);
                services.rentals().heartbeat(devices[i], new Heartbeat(DeviceState.LISTED, null, prices));
                String rental = services.rentals()
                        .rent(renterKey, new RentRequest(devices[i], 1, ssh, 3600, 1_000_000), ssh)
                        .name();
                desk.submit(Voucher.sign(renter, rental, 0, 0, System.currentTimeMillis()))
                        .get();
                services.rentals().heartbeat(devices[i], new Heartbeat(DeviceState.RENTED, rental, prices));
            }
        }
        System.out.printf(
                "%,d devices registered, rented and paid for in %d s%n",
                n, (System.nanoTime() - started) / 1_000_000_000L);
        String narrow = "UPDATE device_heard SET last_seen = ? WHERE device_id = ?";
        String wide = "UPDATE device SET registered_at = ? WHERE id = ?";
        double narrowMicros = 0;
        double wideMicros = 0;
        int rounds = 5;
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
            double a = micros(sql, narrow, devices, round);
            double b = micros(sql, wide, devices, round);
            System.out.printf("round %d: device_heard %.1f us, device row %.1f us a statement%n", round, a, b);
            if (round > 0) {
                narrowMicros += a / rounds;
                wideMicros += b / rounds;
            }
        }
        database.close();
        System.out.printf(
                "a heartbeat's write: device_heard %.1f us, the device row %.1f us; ratio device_heard/device row %.2f%n",
                narrowMicros, wideMicros, narrowMicros / wideMicros);
    }

    /** Microseconds a statement, {@code sql} run once for 51,200 devices in a spread order, 128 a transaction. */
    private static double micros(Sql sql, String statement, String[] devices, int round) {
        int transactions = 400;
        long start = System.nanoTime();
        for (int t = 0; t < transactions; t++) {
            int base = (round * transactions + t) * PER_COMMIT;
            sql.transaction(() -> {
                for (int j = 0; j < PER_COMMIT; j++) {
                    // 7919 is prime, so consecutive statements touch devices far apart, as a fleet's heartbeats do.
                    String device = devices[(int) (((base + j) * 7919L) % devices.length)];
                    sql.update(statement, System.currentTimeMillis(), device);
                }
            });
        }
        return (System.nanoTime() - start) / 1000.0 / (transactions * PER_COMMIT);
    }
}
