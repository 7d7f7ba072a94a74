package io.edgerent.hub.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.identity.AdminSecret;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.payment.SettlementRail;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Backups of a hub taking vouchers, restored into a new data directory, against the real embedded database. */
class BackupsTest {
    private static final String SSH_KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    private static final Prices PRICES = new Prices(3600, 0);
    private static final long DEPOSIT = 1_000_000;

    @TempDir
    Path root;

    Path data;
    Database database;
    Services services;
    final KeyPair renter = Ed25519.generate();
    final byte[] renterKey = Ed25519.raw(renter.getPublic());
    final List<String> rentals = new ArrayList<>();

    @BeforeEach
    void open() {
        data = root.resolve("hub");
        database = Database.embedded(data);
        HubKey.loadOrCreate(data);
        AdminSecret.loadOrCreate(data);
        services = on(database);
        SettlementRail.internal(services.ledger()).deposit(Ledger.renterWallet(renterKey), 3 * DEPOSIT, "bank-1");
        for (int i = 0; i < 3; i++) {
            String device = TestDevices.register(services.devices(), "olga");
            services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
            String rental = services.rentals()
                    .rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3600, DEPOSIT), SSH_KEY)
                    .name();
            pay(services, rental, 0);
            services.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental, PRICES));
            rentals.add(rental);
        }
    }

    @AfterEach
    void close() {
        database.close();
    }

    private Services on(Database db) {
        return Services.on(new Sql(db), HubConfig.builder().dataDir(data).build(), Clock.systemUTC());
    }

    /** The voucher for {@code sequence}, which promises as much. */
    private void pay(Services on, String rental, long sequence) {
        on.payments().acceptVoucher(Voucher.sign(renter, rental, sequence, sequence, System.currentTimeMillis()));
    }

    @Test
    void a_backup_taken_under_load_restores_every_acknowledged_voucher_a_balanced_ledger_and_the_same_key()
            throws Exception {
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        AtomicLong deposited = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        // Stopped by a flag, not an interrupt: H2's file channels close when a thread in their I/O is interrupted.
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = new Thread(() -> {
            try {
                for (long sequence = 1; !stop.get(); sequence++) {
                    for (String rental : rentals) {
                        pay(services, rental, sequence);
                        acknowledged.put(rental, sequence);
                    }
                    SettlementRail.internal(services.ledger())
                            .deposit(Ledger.renterWallet(renterKey), 1, "load-" + sequence);
                    deposited.incrementAndGet();
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        load.start();
        try {
            within(() -> deposited.get() >= 50 || failed.get() != null, "the load to get going");
            Map<String, Long> before = new HashMap<>(acknowledged);
            long depositedBefore = deposited.get();
            Manifest manifest = Backups.of(database, data).writeTo(root.resolve("backup"));
            long depositedAfter = deposited.get();
            within(() -> deposited.get() > depositedAfter + 20 || failed.get() != null, "the load to go on");
            assertTrue(depositedAfter > depositedBefore, "vouchers and deposits went on while the backup was made");
            assertEquals(List.of("database.zip", HubKey.FILE, AdminSecret.FILE), names(manifest));

            stop.set(true);
            load.join(30_000);
            assertEquals(null, failed.get(), "the load ran without a failure");

            Path restored = root.resolve("restored");
            Backups.restore(root.resolve("backup"), restored);
            try (Database again = Database.embedded(restored)) {
                Services back = on(again);
                for (String rental : rentals) {
                    long seen = back.payments().channel(renterKey, rental).lastSequence();
                    assertTrue(
                            seen >= before.get(rental),
                            rental + " has voucher " + seen + ", acknowledged " + before.get(rental)
                                    + " before the backup");
                }
                assertTrue(back.ledger().balance(Ledger.renterWallet(renterKey)) >= depositedBefore);
                assertEquals(0, back.ledger().total(), "the restored ledger balances");
            }
            assertEquals(
                    HubKey.loadOrCreate(data).openSsh(),
                    HubKey.loadOrCreate(restored).openSsh());
            assertEquals(AdminSecret.loadOrCreate(data), AdminSecret.loadOrCreate(restored));
            for (Path p : List.of(restored, restored.resolve("hub.mv.db"), restored.resolve(HubKey.FILE))) {
                assertEquals(
                        Files.isDirectory(p) ? "rwx------" : "rw-------",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
                        p.toString());
            }
        } finally {
            stop.set(true);
            load.join(30_000);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"database.zip", HubKey.FILE, Manifest.FILE})
    void a_backup_with_one_byte_changed_is_refused_and_nothing_is_written(String file) throws IOException {
        Path backup = root.resolve("backup");
        Backups.of(database, data).writeTo(backup);
        byte[] bytes = Files.readAllBytes(backup.resolve(file));
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(backup.resolve(file), bytes);

        Path target = root.resolve("restored");
        IllegalStateException refused =
                assertThrows(IllegalStateException.class, () -> Backups.restore(backup, target));
        assertTrue(refused.getMessage().contains("damaged"), refused.getMessage());
        assertFalse(Files.exists(target), "nothing was written");
    }

    @Test
    void a_backup_without_its_manifest_is_unfinished_and_refused() throws IOException {
        Path backup = root.resolve("backup");
        Backups.of(database, data).writeTo(backup);
        Files.delete(backup.resolve(Manifest.FILE));
        IllegalStateException refused =
                assertThrows(IllegalStateException.class, () -> Backups.restore(backup, root.resolve("restored")));
        assertTrue(refused.getMessage().contains("did not finish"), refused.getMessage());
        assertFalse(Files.exists(root.resolve("restored")));
    }

    @Test
    void a_non_empty_directory_is_refused_as_a_backup_s_or_a_restore_s_and_left_as_it_was() throws IOException {
        Path occupied = Files.createDirectories(root.resolve("occupied"));
        Files.writeString(occupied.resolve("notes.txt"), "mine");
        IllegalStateException backup = assertThrows(
                IllegalStateException.class, () -> Backups.of(database, data).writeTo(occupied));
        assertTrue(backup.getMessage().endsWith("is not empty: a backup goes into a new or empty directory"));

        Backups.of(database, data).writeTo(root.resolve("backup"));
        IllegalStateException restore =
                assertThrows(IllegalStateException.class, () -> Backups.restore(root.resolve("backup"), occupied));
        assertTrue(restore.getMessage().endsWith("is not empty: a restore goes into a new or empty directory"));
        try (Stream<Path> left = Files.list(occupied)) {
            assertEquals(List.of(occupied.resolve("notes.txt")), left.toList());
        }
        assertEquals("mine", Files.readString(occupied.resolve("notes.txt")));
    }

    @Test
    void a_backup_of_a_hub_on_postgresql_holds_its_key_and_secret_and_restores_them() {
        Manifest manifest = Backups.withoutDatabase(data).writeTo(root.resolve("backup"));
        assertEquals("postgresql", manifest.database());
        assertEquals(List.of(HubKey.FILE, AdminSecret.FILE), names(manifest));
        Backups.restore(root.resolve("backup"), root.resolve("restored"));
        assertEquals(
                HubKey.loadOrCreate(data).openSsh(),
                HubKey.loadOrCreate(root.resolve("restored")).openSsh());
        assertFalse(Files.exists(root.resolve("restored").resolve("hub.mv.db")));
    }

    private static List<String> names(Manifest manifest) {
        return manifest.files().stream().map(Manifest.File::name).toList();
    }

    private static void within(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("waited a minute for " + what);
            }
            Thread.sleep(10);
        }
    }
}
