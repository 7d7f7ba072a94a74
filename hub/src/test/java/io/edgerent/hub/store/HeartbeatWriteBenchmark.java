package io.edgerent.hub.store;

import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Heartbeat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a heartbeat's write costs on the embedded database, with N devices registered, rented and paid for, written
 * in group-commit-sized transactions of 128, in the same run: the device row (before V18); the liveness row with the
 * meter in it as V19 had it (keyed by the device's id, the metered rental's name in it; recreated for the
 * comparison); the liveness row of numbers keyed by the device's number (V20, what a heartbeat writes now); and a
 * whole heartbeat, its read and its assignment with it. Run with
 * scripts/bench-heartbeat-write.sh [DEVICES]; results in docs/benchmarks.md.
 */
public final class HeartbeatWriteBenchmark {
    private static final int PER_COMMIT = 128;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        RentedFleet fleet = RentedFleet.create(n, "heartbeat-write-bench");
        Sql sql = fleet.sql();
        String[] devices = fleet.devices();
        String[] rentals = fleet.rentals();
        // V19's liveness row, its strings and all, recreated beside what the hub has now, rows in the same order.
        Map<String, Long> heard = new HashMap<>();
        sql.transaction(() -> {
            sql.update("CREATE TABLE device_heard_v19 (device_id VARCHAR(16) PRIMARY KEY, last_seen BIGINT NOT NULL,"
                    + " online_day BIGINT NOT NULL, online_day_ms BIGINT NOT NULL, metered_rental VARCHAR(16),"
                    + " metered_ms BIGINT NOT NULL, metered_until BIGINT)");
            sql.update("INSERT INTO device_heard_v19 SELECT d.id, h.last_seen, h.online_day, h.online_day_ms,"
                    + " d.metered_rental, h.metered_ms, h.metered_until FROM device d JOIN device_heard h"
                    + " ON h.id = d.heard ORDER BY h.id");
            sql.all("SELECT id, heard FROM device").forEach(r -> heard.put(r.text(1), r.integer(2)));
        });
        List<Write> writes = List.of(
                new Write(
                        "the device row (before V18)",
                        (d, r, now) -> sql.update("UPDATE device SET registered_at = ? WHERE id = ?", now, d)),
                new Write(
                        "device_heard with its strings, by the device's id (V19)",
                        (d, r, now) -> sql.update(
                                "UPDATE device_heard_v19 SET last_seen = ?, online_day_ms = online_day_ms + ?,"
                                        + " metered_rental = ?, metered_ms = metered_ms + ?, metered_until = ?"
                                        + " WHERE device_id = ?",
                                now,
                                1000,
                                r,
                                1000,
                                now,
                                d)),
                new Write(
                        "device_heard of numbers, by the device's number (V20, now)",
                        (d, r, now) -> sql.update(
                                "UPDATE device_heard SET last_seen = ?, online_day_ms = online_day_ms + ?,"
                                        + " metered_ms = metered_ms + ?, metered_until = ? WHERE id = ?",
                                now,
                                1000,
                                1000,
                                now,
                                heard.get(d))),
                new Write(
                        "a whole heartbeat (its read, its write, its assignment)",
                        (d, r, now) -> fleet.services()
                                .rentals()
                                .heartbeat(d, new Heartbeat(DeviceState.RENTED, r, RentedFleet.PRICES))));
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
        fleet.close();
        for (int w = 0; w < writes.size(); w++) {
            System.out.printf(
                    "a heartbeat's write, %s: %.1f us%n", writes.get(w).name(), micros[w]);
        }
        System.out.printf(
                "ratio V20/V19 (a served rental's heartbeat's write) %.2f (earlier forms in docs/benchmarks.md)%n",
                micros[2] / micros[1]);
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
