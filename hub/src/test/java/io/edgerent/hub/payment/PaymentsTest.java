package io.edgerent.hub.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.MutableClock;
import io.edgerent.hub.testing.TestDevices;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Voucher;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Channels, metering, enforcement and settlement against the real embedded database. */
public class PaymentsTest {
    public static final String SSH_KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    /** One unit per second: easy to read. */
    static final Prices PRICES = new Prices(3600, 0);

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock();
    Database database;
    Services services;
    final KeyPair renter = Ed25519.generate();
    final byte[] renterKey = Ed25519.raw(renter.getPublic());
    String device;

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
        device = TestDevices.register(services.devices(), "olga");
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
        SettlementRail.internal(services.ledger()).deposit(Ledger.renterWallet(renterKey), 10_000, "bank-1");
    }

    @AfterEach
    void close() {
        database.close();
    }

    /** Rents, signs the first voucher (for nothing yet: sequence 0), and has the device serve it. */
    private String rentActive(long deposit) {
        String rental = services.rentals()
                .rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3600, deposit), SSH_KEY)
                .name();
        pay(rental, 0, 0);
        beat(rental);
        return rental;
    }

    private void beat(String rental) {
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental, PRICES));
    }

    /** Heartbeats every second for {@code seconds}. */
    private void serve(String rental, int seconds) {
        for (int i = 0; i < seconds; i++) {
            clock.advance(Duration.ofSeconds(1));
            beat(rental);
        }
    }

    private ChannelStatus pay(String rental, long amount, long sequence) {
        return services.payments().acceptVoucher(Voucher.sign(renter, rental, amount, sequence, clock.millis()));
    }

    private long wallet() {
        return services.ledger().balance(Ledger.renterWallet(renterKey));
    }

    @Test
    void renting_moves_the_deposit_into_escrow_and_a_price_above_the_cap_or_a_short_wallet_is_refused() {
        RefusedException tooDear = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3599, 1000), SSH_KEY));
        assertEquals(ErrorCode.PRECONDITION_FAILED, tooDear.code());
        RefusedException poor = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3600, 10_001), SSH_KEY));
        assertEquals("your wallet holds 10000, the deposit is 10001 (edgerent wallet shows it)", poor.getMessage());
        assertEquals(10_000, wallet(), "refusals moved nothing");

        String rental = rentActive(1000);
        assertEquals(9000, wallet());
        assertEquals(1000, services.ledger().balance(Ledger.escrow(rental)));
    }

    @Test
    void online_time_is_billed_by_the_second_and_offline_gaps_are_not() {
        String rental = rentActive(1000);
        pay(rental, 1000, 1);
        serve(rental, 30);
        assertEquals(30, services.payments().channel(renterKey, rental).due());
        clock.advance(Duration.ofMinutes(5)); // beyond the 90 s grace: the device was offline
        beat(rental);
        assertEquals(30, services.payments().channel(renterKey, rental).due(), "nothing for the offline gap");
        serve(rental, 10);
        assertEquals(40, services.payments().channel(renterKey, rental).due());
    }

    @Test
    void each_bad_voucher_gets_its_own_code_and_changes_nothing() {
        String rental = rentActive(1000);
        serve(rental, 5);
        pay(rental, 100, 1);
        ChannelStatus before = services.payments().channel(renterKey, rental);

        KeyPair stranger = Ed25519.generate();
        assertCode(
                ErrorCode.UNAUTHORIZED,
                () -> services.payments().acceptVoucher(Voucher.sign(stranger, rental, 200, 2, 0)));
        assertCode(
                ErrorCode.NOT_FOUND,
                () -> services.payments().acceptVoucher(Voucher.sign(renter, "r-000000000000", 200, 2, 0)));
        assertCode(ErrorCode.CONFLICT, () -> pay(rental, 200, 1));
        assertCode(ErrorCode.CONFLICT, () -> pay(rental, 100, 1));
        assertCode(ErrorCode.PRECONDITION_FAILED, () -> pay(rental, 99, 2));
        assertCode(ErrorCode.UNPROCESSABLE, () -> pay(rental, 1001, 2));
        assertEquals(before, services.payments().channel(renterKey, rental));

        services.rentals().end(renterKey, rental);
        assertCode(ErrorCode.FORBIDDEN, () -> pay(rental, 200, 2));
        assertEquals(0, services.ledger().total());
    }

    @Test
    void time_is_paid_ahead_falling_behind_pauses_catching_up_resumes_and_a_long_pause_ends_and_settles() {
        String rental = rentActive(1000);
        pay(rental, 10, 1);
        serve(rental, 10);
        assertFalse(services.payments().channel(renterKey, rental).paused(), "10 s due, 10 promised");
        serve(rental, 1);
        assertTrue(services.payments().channel(renterKey, rental).paused(), "one second beyond what was promised");
        assertTrue(services.rentals().assignment(device).rental().paused(), "the device is told to pause");
        assertTrue(services.access().activeRental(rental).isEmpty(), "no ssh while paused");

        pay(rental, 21, 2);
        assertFalse(services.payments().channel(renterKey, rental).paused());
        assertFalse(services.rentals().assignment(device).rental().paused());

        serve(rental, 11);
        assertTrue(services.payments().channel(renterKey, rental).paused());
        serve(rental, 31);
        ChannelStatus ended = services.payments().channel(renterKey, rental);
        assertEquals(RentalView.ENDING, ended.state());
        assertTrue(ended.settled());
        assertEquals(22, ended.due(), "paused time is not billed");
        assertEquals(21, ended.ownerShare() + ended.hubFee(), "only what vouchers promised is charged");
        assertEquals(10_000 - 21, wallet());
        assertEquals(0, services.ledger().total());
    }

    @Test
    void a_rental_is_served_only_once_a_voucher_is_stored_and_one_never_vouched_for_ends_with_nothing_charged() {
        String rental = services.rentals()
                .rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3600, 1000), SSH_KEY)
                .name();
        assertEquals(null, services.rentals().assignment(device).rental(), "the device is told nothing yet");
        beat(rental); // a device claiming to serve it all the same
        serve(rental, 5);
        assertEquals(
                RentalView.PREPARING,
                services.payments().channel(renterKey, rental).state());
        assertEquals(0, services.payments().channel(renterKey, rental).due(), "no time metered before a voucher");

        clock.advance(Duration.ofSeconds(6)); // beyond the 10 s grace
        assertEquals(1, services.rentals().expire());
        ChannelStatus ended = services.payments().channel(renterKey, rental);
        assertTrue(ended.settled());
        assertEquals(1000, ended.refund());
        assertTrue(ended.note().startsWith("no voucher within 10 s"), ended.note());
        assertEquals(10_000, wallet());
        assertEquals(0, services.ledger().balance(Ledger.ownerEarnings("olga")));

        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
        String paid = services.rentals()
                .rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3600, 1000), SSH_KEY)
                .name();
        Assignment before = services.rentals().assignment(device);
        pay(paid, 120, 0);
        Assignment after = services.rentals().assignment(device);
        assertEquals(paid, after.rental().name(), "the first voucher tells the device");
        assertTrue(after.version() > before.version(), "with a new version, which its observation announces");
    }

    /**
     * A heartbeat answers the device's assignment from the read it made first when it changed none of it, and reads
     * it again when it did: either way, what the device is told is what the hub holds once the heartbeat committed.
     */
    @Test
    void each_heartbeat_answers_the_assignment_as_it_stands_after_it_served_paused_resumed_and_ended() {
        String rental = services.rentals()
                .rent(renterKey, new RentRequest(device, 1, SSH_KEY, 3600, 1000), SSH_KEY)
                .name();
        Assignment unpaid = told(new Heartbeat(DeviceState.LISTED, null, PRICES));
        assertEquals(null, unpaid.rental(), "not served before a voucher");
        pay(rental, 10, 0);
        Assignment served = told(new Heartbeat(DeviceState.RENTED, rental, PRICES)); // preparing -> active
        assertEquals(rental, served.rental().name());
        assertEquals(java.util.List.of(SSH_KEY), served.rental().authorizedKeys());
        assertFalse(served.rental().paused());
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(1));
            assertEquals(served, told(new Heartbeat(DeviceState.RENTED, rental, PRICES)), "second " + (i + 1));
        }
        clock.advance(Duration.ofSeconds(1));
        Assignment paused = told(new Heartbeat(DeviceState.RENTED, rental, PRICES)); // 11 s due, 10 promised
        assertTrue(paused.rental().paused(), "told to pause by the heartbeat that went beyond what was paid");
        assertTrue(paused.version() > served.version());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(paused, told(new Heartbeat(DeviceState.RENTED, rental, PRICES)), "still paused");
        pay(rental, 100, 1);
        Assignment resumed = told(new Heartbeat(DeviceState.RENTED, rental, PRICES));
        assertFalse(resumed.rental().paused());
        services.rentals().end(renterKey, rental);
        Assignment ending = told(new Heartbeat(DeviceState.RENTED, rental, PRICES));
        assertEquals(null, ending.rental(), "told to stop");
        Assignment free = told(new Heartbeat(DeviceState.LISTED, null, PRICES)); // the device wiped it
        assertEquals(null, free.rental());
        assertTrue(free.version() > ending.version(), "the rental left the device: a new version");
    }

    /** What a heartbeat answers, checked against the assignment read on its own after it. */
    private Assignment told(Heartbeat heartbeat) {
        Assignment answered = services.rentals().heartbeat(device, heartbeat);
        assertEquals(services.rentals().assignment(device), answered);
        return answered;
    }

    @Test
    void settlement_pays_the_owner_less_the_fee_refunds_the_rest_and_happens_once() {
        String rental = rentActive(1000);
        pay(rental, 150, 1); // paid ahead of what will be due
        serve(rental, 100);
        services.rentals().end(renterKey, rental);
        ChannelStatus s = services.payments().channel(renterKey, rental);
        assertEquals(100, s.ownerShare() + s.hubFee(), "capped at what is due");
        assertEquals(10, s.hubFee(), "10 % fee");
        assertEquals(900, s.refund());
        assertEquals(1000, s.ownerShare() + s.hubFee() + s.refund());
        assertEquals(9900, wallet());
        assertEquals(90, services.ledger().balance(Ledger.ownerEarnings("olga")));
        assertEquals(0, services.ledger().balance(Ledger.escrow(rental)));

        services.rentals().end(renterKey, rental);
        services.rentals().expire();
        assertEquals(9900, wallet(), "a second end settles nothing more");
        assertEquals(90, services.books().earnings("olga").devices().get(0).amount());
        assertEquals(0, services.ledger().total());
    }

    /** What the channel row itself says it billed, without its device's meter. */
    private long channelRowBilledMillis(String rental) {
        return new Sql(database)
                .one("SELECT billed_ms FROM channel WHERE rental = ?", rental)
                .orElseThrow()
                .integer(1);
    }

    @Test
    void heartbeats_meter_on_the_devices_row_and_the_next_rental_folds_the_time_into_the_last_ones_channel() {
        String first = rentActive(1000);
        pay(first, 150, 1);
        serve(first, 100);
        assertEquals(0, channelRowBilledMillis(first), "a heartbeat writes the device's meter, not the channel row");
        assertEquals(100, services.payments().channel(renterKey, first).billedSeconds());
        assertEquals(100, services.payments().channel(renterKey, first).due());

        services.rentals().end(renterKey, first);
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
        ChannelStatus settled = services.payments().channel(renterKey, first);
        assertEquals(100, settled.ownerShare() + settled.hubFee(), "settled on the time the meter held");
        assertEquals(900, settled.refund());

        String second = rentActive(1000);
        pay(second, 100, 1);
        serve(second, 30);
        assertEquals(100_000, channelRowBilledMillis(first), "the first rental's time folded into its channel");
        assertEquals(settled, services.payments().channel(renterKey, first), "and nothing a reader sees of it moved");
        assertEquals(30, services.payments().channel(renterKey, second).billedSeconds(), "the second starts at 0");
        assertEquals(0, channelRowBilledMillis(second));
        assertEquals(10_000 - 100 - 1000, wallet(), "first charged 100, second's deposit in escrow");
        assertEquals(0, services.ledger().total());
    }

    @Test
    void a_used_up_deposit_ends_the_rental() {
        String rental = rentActive(60);
        for (int i = 0; i < 60; i++) {
            clock.advance(Duration.ofSeconds(1));
            pay(rental, Math.min(60, i + 5), i + 1);
            beat(rental);
        }
        ChannelStatus s = services.payments().channel(renterKey, rental);
        assertEquals(RentalView.ENDING, s.state());
        assertEquals(60, s.ownerShare() + s.hubFee());
        assertEquals(0, s.refund());
    }

    @Test
    void extending_adds_hours_and_deposit() {
        String rental = rentActive(100);
        long endsAt = services.rentals().rentalsOf(renterKey).get(0).endsAt();
        Assignment before = services.rentals().assignment(device);
        services.rentals().extend(renterKey, rental, 2, 500, "topup:1");
        assertEquals(
                endsAt + 2 * 3_600_000L,
                services.rentals().rentalsOf(renterKey).get(0).endsAt());
        Assignment after = services.rentals().assignment(device);
        assertEquals(endsAt + 2 * 3_600_000L, after.rental().endsAt(), "the device's order carries the new end");
        assertTrue(
                after.version() > before.version(),
                "a new version, so the device's notification makes it read the order");
        assertEquals(600, services.payments().channel(renterKey, rental).deposit());
        assertEquals(9400, wallet());
    }

    private static void assertCode(ErrorCode code, Runnable action) {
        assertEquals(code, assertThrows(RefusedException.class, action::run).code());
    }
}
