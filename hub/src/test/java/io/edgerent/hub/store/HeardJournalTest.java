package io.edgerent.hub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.payment.SettlementRail;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.testing.MutableClock;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code device_heard} in memory, its journal on disk (V20): what the database file holds after the last commit is
 * what a hub killed then leaves, so the file is copied while the hub's database is open and the copy opened, as a
 * restart after a crash opens it. The rows, the channel's billed time and the journal's length are checked there.
 */
class HeardJournalTest {
    static final String SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    static final Prices PRICES = new Prices(3600, 0);

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock();

    @Test
    void what_heartbeats_committed_is_there_after_a_crash_the_meter_and_the_billed_time_to_the_millisecond()
            throws Exception {
        KeyPair renter = Ed25519.generate();
        byte[] renterKey = Ed25519.raw(renter.getPublic());
        Path live = Files.createDirectories(dir.resolve("live"));
        List<String> devices = new ArrayList<>();
        String rental;
        String heard;
        long due;
        try (Database database = Database.embedded(live)) {
            Services services = services(database);
            for (int i = 0; i < 3; i++) {
                devices.add(TestDevices.register(services.devices(), "olga"));
                services.rentals().heartbeat(devices.get(i), new Heartbeat(DeviceState.LISTED, null, PRICES));
            }
            SettlementRail.internal(services.ledger()).deposit(Ledger.renterWallet(renterKey), 10_000, "bank-1");
            rental = services.rentals()
                    .rent(renterKey, new RentRequest(devices.get(0), 1, SSH_KEY, 3600, 5000), SSH_KEY)
                    .name();
            services.payments().acceptVoucher(Voucher.sign(renter, rental, 5000, 0, clock.millis()));
            for (int s = 0; s < 47; s++) {
                clock.advance(Duration.ofMillis(1013));
                services.rentals().heartbeat(devices.get(0), new Heartbeat(DeviceState.RENTED, rental, PRICES));
                services.rentals().heartbeat(devices.get(1), new Heartbeat(DeviceState.LISTED, null, PRICES));
            }
            // Up to a minute before midnight, then heartbeats across it: the day's online time starts again.
            long toMidnight = 86_400_000L - Math.floorMod(clock.millis(), 86_400_000L);
            clock.advance(Duration.ofMillis(toMidnight - 60_000));
            for (int s = 0; s < 4; s++) {
                clock.advance(Duration.ofSeconds(30));
                services.rentals().heartbeat(devices.get(1), new Heartbeat(DeviceState.LISTED, null, PRICES));
            }
            heard = heardRows(new Sql(database));
            assertTrue(heard.contains(", 90000, null, 0, null]"), "a new day, 90 s online so far: " + heard);
            due = services.payments().channel(renterKey, rental).due();
            assertTrue(due >= 46, "the rental was metered: " + due);
            Files.copy(
                    live.resolve("hub.mv.db"),
                    Files.createDirectories(dir.resolve("crashed")).resolve("hub.mv.db"));
        }
        try (Database database = Database.embedded(dir.resolve("crashed"))) {
            Sql sql = new Sql(database);
            assertEquals(heard, heardRows(sql), "every device's liveness and meter, as committed");
            assertEquals(
                    due,
                    services(database).payments().channel(renterKey, rental).due(),
                    "the billed time, as committed");
            assertEquals(3, journalRows(sql), "opening cut the journal to one row a device");
        }
    }

    @Test
    void a_pass_appends_every_device_again_and_then_what_came_before_it_is_deleted() throws Exception {
        int fleet = 250;
        try (Database database = Database.embedded(dir)) {
            Services services = services(database);
            Sql sql = new Sql(database);
            List<String> devices = new ArrayList<>();
            for (int i = 0; i < fleet; i++) {
                devices.add(TestDevices.register(services.devices(), "olga"));
            }
            for (int round = 0; round < 4; round++) {
                clock.advance(Duration.ofSeconds(30));
                for (String d : devices) {
                    services.rentals().heartbeat(d, new Heartbeat(DeviceState.LISTED, null, PRICES));
                }
            }
            assertEquals(fleet * 5L, journalRows(sql), "a row at registration and at each heartbeat");

            // A pass in slices of 100: heartbeats between its steps, before and after their device's slice.
            services.devices().compactJournal();
            clock.advance(Duration.ofSeconds(7));
            services.rentals().heartbeat(devices.get(0), new Heartbeat(DeviceState.LISTED, null, PRICES));
            services.rentals().heartbeat(devices.get(fleet - 1), new Heartbeat(DeviceState.LISTED, null, PRICES));
            services.devices().compactJournal();
            assertEquals(fleet * 5L + 200 + 2, journalRows(sql), "two slices appended again, nothing deleted yet");
            services.devices().compactJournal();
            assertEquals(fleet + 2, journalRows(sql), "the pass ended: every row from before it deleted");
            String heard = heardRows(sql);

            Files.copy(
                    dir.resolve("hub.mv.db"),
                    Files.createDirectories(dir.resolve("crashed")).resolve("hub.mv.db"));
            try (Database crashed = Database.embedded(dir.resolve("crashed"))) {
                assertEquals(heard, heardRows(new Sql(crashed)), "the compacted journal says all the table said");
            }
        }
    }

    private Services services(Database database) {
        return Services.on(
                new Sql(database),
                HubConfig.builder().dataDir(dir).tunnelPorts(20000, 20999).build(),
                clock);
    }

    private static String heardRows(Sql sql) {
        return sql.transaction(() -> sql.all("SELECT * FROM device_heard ORDER BY device_id").stream()
                .map(r -> java.util.Arrays.toString(r.values()))
                .reduce("", (a, b) -> a + b + "\n"));
    }

    private static long journalRows(Sql sql) {
        return sql.transaction(() ->
                sql.one("SELECT COUNT(*) FROM heard_journal").orElseThrow().integer(1));
    }
}
