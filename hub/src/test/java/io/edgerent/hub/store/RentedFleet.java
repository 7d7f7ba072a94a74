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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.Comparator;

/**
 * For the database benchmarks: an embedded hub database in a temporary directory with {@code n} devices registered,
 * each rented (for an hour at 3,600 a hour) and paid for with a first voucher, and told so by a heartbeat.
 */
record RentedFleet(Path dir, Database database, Sql sql, Services services, String[] devices, String[] rentals)
        implements AutoCloseable {
    static final Prices PRICES = new Prices(3600, 0);

    static RentedFleet create(int n, String name) throws Exception {
        Path dir = Files.createTempDirectory(name);
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
                services.rentals().heartbeat(devices[i], new Heartbeat(DeviceState.LISTED, null, PRICES));
                rentals[i] = services.rentals()
                        .rent(renterKey, new RentRequest(devices[i], 1, ssh, 3600, 1_000_000), ssh)
                        .name();
                desk.submit(Voucher.sign(renter, rentals[i], 0, 0, System.currentTimeMillis()))
                        .get();
                services.rentals().heartbeat(devices[i], new Heartbeat(DeviceState.RENTED, rentals[i], PRICES));
            }
        }
        System.out.printf(
                "%,d devices registered, rented and paid for in %d s%n",
                n, (System.nanoTime() - started) / 1_000_000_000L);
        return new RentedFleet(dir, database, sql, services, devices, rentals);
    }

    /** Closes the database and deletes its directory (a fleet's database is a gigabyte). */
    @Override
    public void close() throws IOException {
        database.close();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
