package io.edgerent.hub.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.MutableClock;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The payment rules against parties who lie, on the real embedded database: a device that claims usage it cannot have
 * served, a renter who rents and never pays. Each test checks every party's balance to the unit after settlement and
 * the ledger summing to zero. (The same liars over real DTLS sessions and processes: system-tests' LiarsTest.)
 */
public class LiarsTest {
    /** One unit per second, and one per GB of egress. */
    static final Prices PRICES = new Prices(3600, 1);

    static final long GB = 1_000_000_000L;

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock();
    Database database;
    Services services;
    final KeyPair renter = Ed25519.generate();
    final byte[] renterKey = Ed25519.raw(renter.getPublic());
    String device;
    String other;

    @BeforeEach
    void open() {
        database = Database.embedded(dir);
        services = Services.on(
                new Sql(database),
                HubConfig.builder()
                        .dataDir(dir)
                        .feeBasisPoints(1000)
                        .paymentGrace(Duration.ofSeconds(10))
                        .suspendLimit(Duration.ofSeconds(30))
                        .build(),
                clock);
        device = register("olga");
        other = register("pete");
        SettlementRail.internal(services.ledger()).deposit(Ledger.renterWallet(renterKey), 10_000, "bank-1");
    }

    private String register(String owner) {
        String id = services.devices()
                .register(
                        new Registration(
                                services.devices().issueToken(owner),
                                Ed25519.raw(Ed25519.generate().getPublic()),
                                new HardwareFacts(4, "c", 1, 1, "aarch64", "pi", 1)),
                        2222,
                        "k")
                .deviceId();
        services.rentals().heartbeat(id, new Heartbeat(DeviceState.LISTED, null, PRICES));
        return id;
    }

    @AfterEach
    void close() {
        assertEquals(0, services.ledger().total(), "the ledger sums to zero");
        database.close();
    }

    private String rent(String on, long deposit, long maxEgressBytes) {
        return services.rentals()
                .rent(
                        renterKey,
                        new RentRequest(
                                on, 1, PaymentsTest.SSH_KEY, 3600, deposit, Template.BASE, null, maxEgressBytes),
                        PaymentsTest.SSH_KEY)
                .name();
    }

    private void pay(String rental, long amount, long sequence) {
        services.payments().acceptVoucher(Voucher.sign(renter, rental, amount, sequence, clock.millis()));
    }

    /** The device's heartbeats every second for {@code seconds}, serving {@code rental}. */
    private void serve(String on, String rental, int seconds) {
        services.rentals().heartbeat(on, new Heartbeat(DeviceState.RENTED, rental, PRICES));
        for (int i = 0; i < seconds; i++) {
            clock.advance(Duration.ofSeconds(1));
            services.rentals().heartbeat(on, new Heartbeat(DeviceState.RENTED, rental, PRICES));
        }
    }

    private ChannelStatus channel(String rental) {
        return services.payments().channel(renterKey, rental);
    }

    private long wallet() {
        return services.ledger().balance(Ledger.renterWallet(renterKey));
    }

    private long owner(String name) {
        return services.ledger().balance(Ledger.ownerEarnings(name));
    }

    private RefusedException report(String from, UsageReport usage) {
        return assertThrows(
                RefusedException.class,
                () -> services.payments().recordUsage(from, usage).orThrow());
    }

    private String flag(String id) {
        return services.market().listingsOf(id.equals(device) ? "olga" : "pete").stream()
                .filter(l -> l.deviceId().equals(id))
                .map(Listing::flagged)
                .findFirst()
                .orElseThrow();
    }

    @Test
    void a_device_claiming_a_petabyte_more_time_than_passed_or_another_rental_is_refused_marked_and_paid_for_minutes() {
        String rental = rent(device, 3600, RentRequest.DEFAULT_MAX_EGRESS_BYTES);
        pay(rental, 120, 0); // the first voucher: two minutes ahead
        serve(device, rental, 60);
        services.payments().recordUsage(device, new UsageReport(rental, 1, 60, 1, 1, 1_000_000, 2_000_000));
        assertEquals("", flag(device), "an honest report marks nothing");
        ChannelStatus before = channel(rental);

        RefusedException petabyte =
                report(device, new UsageReport(rental, 2, 60, 1, 1, 1_000_000, 1_000_000L * 1_000_000_000L));
        assertEquals(ErrorCode.UNPROCESSABLE, petabyte.code());
        assertTrue(petabyte.getMessage().contains("no device's link carries more than 125000000 bytes a second"));
        assertTrue(flag(device).contains("adds 999999998000000 bytes"), flag(device));

        RefusedException timeless = report(device, new UsageReport(rental, 3, 3600, 1, 1, 1_000_000, 3_000_000));
        assertEquals(ErrorCode.UNPROCESSABLE, timeless.code());
        assertTrue(
                timeless.getMessage().contains("claims 3600 s online; the rental opened 65 s ago"),
                timeless.getMessage());

        String elsewhere = rent(other, 1000, GB);
        RefusedException notMine = report(device, new UsageReport(elsewhere, 1, 1, 1, 1, 1, 1));
        assertEquals(ErrorCode.FORBIDDEN, notMine.code());
        assertEquals("rental " + elsewhere + " is not served by " + device, flag(device));
        assertEquals(
                ErrorCode.FORBIDDEN,
                report(device, new UsageReport("r-000000000000", 1, 1, 1, 1, 1, 1))
                        .code());
        assertEquals(before, channel(rental), "refused reports changed nothing");

        serve(device, rental, 30);
        services.rentals().end(renterKey, rental);
        services.rentals().end(renterKey, elsewhere);
        ChannelStatus settled = channel(rental);
        assertEquals(90, settled.due(), "90 s served, 2 MB of egress at 1 per GB rounds down to nothing");
        assertEquals(90, settled.ownerShare() + settled.hubFee(), "charged the 90 s served, though it promised 120");
        assertEquals(81, owner("olga"));
        assertEquals(0, owner("pete"), "the other rental was never vouched for, never served");
        assertEquals(10_000 - 90, wallet());
    }

    @Test
    void the_most_a_link_carries_in_a_time_is_exact_and_a_long_time_does_not_overflow() {
        long edge = Long.MAX_VALUE / (Channels.MOST_BYTES_PER_SECOND / 1000);
        for (long millis : new long[] {0, 1, 999, 1000, 5000, 86_400_000, edge - 1, edge, edge + 1, Long.MAX_VALUE}) {
            long exact = java.math.BigInteger.valueOf(Channels.MOST_BYTES_PER_SECOND)
                    .multiply(java.math.BigInteger.valueOf(millis))
                    .divide(java.math.BigInteger.valueOf(1000))
                    .min(java.math.BigInteger.valueOf(Long.MAX_VALUE))
                    .longValueExact();
            assertEquals(exact, Channels.mostBytesIn(millis), millis + " ms");
        }
    }

    @Test
    void egress_is_billed_up_to_the_cap_the_renter_chose_and_reaching_it_ends_the_rental() {
        String rental = rent(device, 3600, 4_500_000_000L);
        pay(rental, 600, 0);
        serve(device, rental, 10);
        // 1.25 GB in ten seconds: what gigabit Ethernet carries, so possible.
        services.payments().recordUsage(device, new UsageReport(rental, 1, 10, 1, 1, 0, 1_250_000_000L));
        assertEquals(10 + 1, channel(rental).due());
        for (int i = 2; i <= 4; i++) {
            serve(device, rental, 10);
            services.payments().recordUsage(device, new UsageReport(rental, i, 10L * i, 1, 1, 0, 1_250_000_000L * i));
        }
        ChannelStatus ended = channel(rental);
        assertEquals(RentalView.ENDING, ended.state(), "5 GB counted passes the 4.5 GB cap: the rental ends");
        assertTrue(ended.note().startsWith("egress reached the cap you chose (4500000000 bytes)"), ended.note());
        assertEquals(40 + 4, ended.due(), "egress billed up to the cap: 4.5 GB at 1 per GB, rounded down");
        assertEquals(44, ended.ownerShare() + ended.hubFee());
        assertEquals(10_000 - 44, wallet());
        assertEquals(40, owner("olga"));
        assertEquals("", flag(device), "fast but possible: not marked");
    }

    @Test
    void twenty_rounds_of_renting_and_ending_without_paying_serve_nothing_and_cost_nothing() {
        long version = services.rentals().assignment(device).version();
        for (int round = 0; round < 20; round++) {
            String rental = rent(device, 3600, GB);
            assertNull(
                    services.rentals().assignment(device).rental(), "round " + round + ": the device is told nothing");
            serve(device, rental, 5); // a device that serves anyway is not paid for it
            services.rentals().end(renterKey, rental);
            ChannelStatus s = channel(rental);
            assertEquals(0, s.due(), "round " + round);
            assertEquals(3600, s.refund(), "round " + round);
            services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
        }
        assertEquals(10_000, wallet());
        assertEquals(0, owner("olga"));
        assertTrue(services.rentals().assignment(device).version() >= version);

        // Paying only the first voucher buys what it covers: served while due stays within it, then paused.
        String rental = rent(device, 3600, GB);
        pay(rental, 30, 0);
        serve(device, rental, 40);
        assertTrue(channel(rental).paused(), "paused once the 30 promised were used");
        services.rentals().end(renterKey, rental);
        ChannelStatus s = channel(rental);
        assertEquals(31, s.due(), "served 31 s: paused at the first second beyond what was promised");
        assertEquals(30, s.ownerShare() + s.hubFee(), "the second beyond the voucher is the owner's whole risk");
        assertEquals(10_000 - 30, wallet());
        assertEquals(27, owner("olga"));
    }
}
