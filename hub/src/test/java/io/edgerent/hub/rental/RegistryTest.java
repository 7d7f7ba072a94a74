package io.edgerent.hub.rental;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.MutableClock;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.Voucher;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class RegistryTest {
    private static final HardwareFacts FACTS =
            new HardwareFacts(4, "Cortex-A72", 4L << 30, 16L << 30, "aarch64", "Raspberry Pi 4 Model B", 1000);
    private static final String SSH_KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    private Database database;
    private Services services;
    private final KeyPair renterPair = Ed25519.generate();
    private final byte[] renter = Ed25519.raw(renterPair.getPublic());
    private final List<String> closed = new ArrayList<>();

    @BeforeEach
    void open() {
        database = Database.embedded(dir);
        services = Services.on(
                new Sql(database),
                HubConfig.builder().dataDir(dir).tunnelPorts(40000, 40004).build(),
                clock);
        services.events().onRentalClosed(closed::add);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private RegistrationAccepted register(byte[] key) {
        return services.devices()
                .register(
                        new Registration(services.devices().issueToken("alice"), key, FACTS),
                        2222,
                        "ecdsa-sha2-nistp256 AAAA");
    }

    private static byte[] newKey() {
        return Ed25519.raw(Ed25519.generate().getPublic());
    }

    @Test
    void a_device_retrying_its_registration_with_the_same_token_gets_the_same_answer() {
        byte[] key = newKey();
        String token = services.devices().issueToken("alice");
        RegistrationAccepted first = services.devices().register(new Registration(token, key, FACTS), 2222, "k");
        RegistrationAccepted retry = services.devices().register(new Registration(token, key, FACTS), 2222, "k");
        assertEquals(first, retry);
        assertEquals(1, services.market().listings().size());
    }

    @Test
    void tunnel_ports_are_reserved_two_per_device_until_the_range_is_used_up() {
        RegistrationAccepted first = register(newKey());
        assertEquals(List.of(40000, 40001), List.of(first.tunnelPort(), first.httpTunnelPort()));
        RegistrationAccepted second = register(newKey());
        assertEquals(List.of(40002, 40003), List.of(second.tunnelPort(), second.httpTunnelPort()));
        assertEquals(java.util.Set.of(40002, 40003), services.devices().tunnelPorts(second.deviceId()));
        // One port is left: not enough for a device, and the half-made reservation is rolled back.
        RefusedException full = assertThrows(RefusedException.class, () -> register(newKey()));
        assertEquals(ErrorCode.CONFLICT, full.code());
        assertEquals(2, services.market().listings().size(), "the refused registration added no device");
    }

    @Test
    void a_widened_range_gives_out_its_free_ports_below_and_above_the_ones_held() {
        register(newKey());
        register(newKey());
        services = Services.on(
                new Sql(database),
                HubConfig.builder().dataDir(dir).tunnelPorts(39998, 40004).build(),
                clock);
        RegistrationAccepted third = register(newKey());
        assertNotEquals(third.tunnelPort(), third.httpTunnelPort());
        assertTrue(
                java.util.Set.of(39998, 39999, 40004).containsAll(List.of(third.tunnelPort(), third.httpTunnelPort())),
                "the third device gets two of the three ports no one holds: " + third);
        // One port is left.
        assertEquals(
                ErrorCode.CONFLICT,
                assertThrows(RefusedException.class, () -> register(newKey())).code());
    }

    /** A heartbeat writes the liveness row every time and the device row only on a change: both must show. */
    @Test
    void what_a_heartbeat_says_shows_on_the_market_changed_or_not() {
        String device = register(newKey()).deviceId();
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, new Prices(100, 0)));
        Listing first = services.market().listings().get(0);
        assertEquals(new Prices(100, 0), first.prices());
        assertEquals("", first.region());
        assertTrue(first.online());

        Heartbeat changed = new Heartbeat(
                DeviceState.LISTED, null, new Prices(200, 7), true, EnumSet.of(Template.BASE, Template.WEB), "Lyon");
        clock.advance(Duration.ofSeconds(30));
        services.rentals().heartbeat(device, changed);
        clock.advance(Duration.ofSeconds(30));
        services.rentals().heartbeat(device, changed); // the same again: only the liveness row is written
        Listing now = services.market().listings().get(0);
        assertEquals(new Prices(200, 7), now.prices());
        assertEquals("Lyon", now.region());
        assertEquals(EnumSet.of(Template.BASE, Template.WEB), now.templates());
        assertTrue(now.online());
        assertEquals(1, services.devices().counts().devicesOnline());

        services.rentals()
                .heartbeat(
                        device,
                        new Heartbeat(
                                DeviceState.LISTED, null, new Prices(200, 7), false, changed.templates(), "Lyon"));
        assertTrue(services.market().listings().isEmpty(), "switched off by its owner");
        services.rentals().heartbeat(device, changed);
        assertEquals(1, services.market().listings().size());

        clock.advance(Duration.ofSeconds(91)); // past the offline limit (90 s)
        assertFalse(services.market().listings().get(0).online());
        assertEquals(0, services.devices().counts().devicesOnline());
        services.rentals().heartbeat(device, changed);
        assertTrue(services.market().listings().get(0).online());
        assertTrue(services.market().listings().get(0).uptimePermille() > 0, "60 s of it online counted");
    }

    @Test
    void the_market_shows_a_device_free_only_once_the_hub_can_rent_it_again() {
        String device = register(newKey()).deviceId();
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, Prices.FREE));
        assertEquals("free", services.market().listings().get(0).availability());
        RentalView rental = services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY);
        // The device has not heard of the rental yet and still says it is listed: the hub holds it all the same.
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, Prices.FREE));
        assertEquals("rented", services.market().listings().get(0).availability());
        services.rentals().end(renter, rental.name());
        assertEquals(
                "rented",
                services.market().listings().get(0).availability(),
                "ending, until the device's next heartbeat");
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, Prices.FREE));
        assertEquals("free", services.market().listings().get(0).availability());
        assertEquals(
                RentalView.PREPARING,
                services.rentals()
                        .rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY)
                        .state(),
                "free on the market is rentable");
    }

    @Test
    void a_rental_becomes_active_when_the_device_serves_it_and_ends_when_the_device_has_wiped() {
        String device = register(newKey()).deviceId();
        RentalView rental = services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY);
        assertEquals(RentalView.PREPARING, rental.state());
        vouch(rental.name());
        assertEquals(
                rental.name(), services.rentals().assignment(device).rental().name());

        services.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental.name(), Prices.FREE));
        assertEquals(
                RentalView.ACTIVE, services.rentals().rentalsOf(renter).get(0).state());
        assertTrue(services.access().activeRental(rental.name()).isPresent());

        services.rentals().end(renter, rental.name());
        assertNull(services.rentals().assignment(device).rental(), "the device is told to wipe");
        assertTrue(services.access().activeRental(rental.name()).isEmpty(), "no more ssh");
        assertEquals(List.of(rental.name()), closed);
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, Prices.FREE));
        assertEquals(
                RentalView.ENDED, services.rentals().rentalsOf(renter).get(0).state());
    }

    @Test
    void a_rental_past_its_end_time_is_ended_by_expiry() {
        String device = register(newKey()).deviceId();
        RentalView rental = services.rentals().rent(renter, new RentRequest(device, 2, SSH_KEY, 0, 0), SSH_KEY);
        vouch(rental.name());
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental.name(), Prices.FREE));
        clock.advance(Duration.ofMinutes(119));
        assertEquals(0, services.rentals().expire());
        clock.advance(Duration.ofMinutes(2));
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.RENTED, rental.name(), Prices.FREE));
        assertEquals(1, services.rentals().expire());
        assertEquals(
                RentalView.ENDING, services.rentals().rentalsOf(renter).get(0).state());
        assertEquals(0, services.rentals().expire(), "expiry ends a rental once");
    }

    @Test
    void another_renter_cannot_end_or_see_a_rental() {
        String device = register(newKey()).deviceId();
        RentalView rental = services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY);
        byte[] mallory = newKey();
        RefusedException refused =
                assertThrows(RefusedException.class, () -> services.rentals().end(mallory, rental.name()));
        assertEquals(ErrorCode.NOT_FOUND, refused.code());
        assertTrue(services.rentals().rentalsOf(mallory).isEmpty());
        assertEquals(
                RentalView.PREPARING,
                services.rentals().rentalsOf(renter).get(0).state(),
                "nothing changed");
    }

    @Test
    void a_linked_hub_asking_about_a_rental_it_passed_on_gets_a_final_answer() {
        String device = register(newKey()).deviceId();
        // Asked before the rent request arrived: none, and none ever under that name.
        RefusedException none =
                assertThrows(RefusedException.class, () -> services.payments().passedSettlement("r-0000000000aa", "a"));
        assertEquals(ErrorCode.NOT_FOUND, none.code());
        RefusedException late = assertThrows(
                RefusedException.class,
                () -> services.rentals()
                        .rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY, "r-0000000000aa", "a"));
        assertEquals(ErrorCode.CONFLICT, late.code());
        assertTrue(late.getMessage().contains("came too late"), late.getMessage());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(RefusedException.class, () -> services.payments().passedSettlement("r-0000000000aa", "a"))
                        .code(),
                "asked again: still none");
        assertNull(services.rentals().assignment(device).rental(), "the device is still free");

        // Arrived first: the answer is the rental, to the hub that funded it only.
        RentalView rental = services.rentals()
                .rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY, "r-0000000000bb", "a");
        assertTrue(Cbor.decodeMap(services.payments().passedSettlement(rental.name(), "a"))
                        .bytes("view")
                        .length
                > 0);
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(RefusedException.class, () -> services.payments().passedSettlement(rental.name(), "c"))
                        .code());
        services.rentals().end(renter, rental.name());
        assertTrue(
                Cbor.decodeMap(services.payments().passedSettlement(rental.name(), "a"))
                        .bool("settled"),
                "the answer follows the rental");
    }

    @Test
    void a_given_up_name_is_let_go_once_no_rent_request_for_it_can_still_be_fresh() throws Exception {
        assertThrows(RefusedException.class, () -> services.payments().passedSettlement("r-0000000000cc", "a"));
        clock.advance(Duration.ofMillis(2 * SignedRequest.MAX_AGE_MILLIS));
        assertThrows(RefusedException.class, () -> services.payments().passedSettlement("r-0000000000dd", "a"));
        assertEquals(List.of("r-0000000000cc", "r-0000000000dd"), givenUp(), "both within the window");
        clock.advance(Duration.ofSeconds(1));
        assertThrows(RefusedException.class, () -> services.payments().passedSettlement("r-0000000000ee", "a"));
        assertEquals(List.of("r-0000000000dd", "r-0000000000ee"), givenUp());
    }

    private List<String> givenUp() throws Exception {
        List<String> names = new ArrayList<>();
        try (ResultSet r = database.connection()
                .createStatement()
                .executeQuery("SELECT name FROM given_up_rental ORDER BY name")) {
            while (r.next()) {
                names.add(r.getString(1));
            }
        }
        return names;
    }

    @Test
    void an_offline_device_cannot_be_rented() {
        String device = register(newKey()).deviceId();
        clock.advance(Duration.ofMinutes(5));
        RefusedException refused = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY));
        assertEquals("device " + device + " is offline", refused.getMessage());
    }

    @Test
    void a_device_its_owner_does_not_offer_leaves_the_market_and_cannot_be_rented_until_offered_again() {
        String device = register(newKey()).deviceId();
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, Prices.FREE, false));
        assertTrue(
                services.market().listings().stream()
                        .noneMatch(l -> l.deviceId().equals(device)),
                "off the market");
        RefusedException refused = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY));
        assertEquals(ErrorCode.CONFLICT, refused.code());
        assertTrue(refused.getMessage().contains("is not offered for rent now"), refused.getMessage());
        assertTrue(services.rentals().rentalsOf(renter).isEmpty(), "nothing rented");

        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, Prices.FREE, true));
        assertTrue(
                services.market().listings().stream().anyMatch(l -> l.deviceId().equals(device)), "back on the market");
        services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY);
    }

    @Test
    void everything_survives_reopening_the_database() {
        String device = register(newKey()).deviceId();
        RentalView rental = services.rentals().rent(renter, new RentRequest(device, 1, SSH_KEY, 0, 0), SSH_KEY);
        database.close();
        open();
        assertEquals(device, services.market().listings().get(0).deviceId());
        assertEquals(rental.name(), services.rentals().rentalsOf(renter).get(0).name());
    }

    @Test
    void a_signed_request_is_accepted_once_and_its_replay_refused_even_after_a_restart() {
        byte[] signature = new byte[64];
        signature[0] = 7;
        services.replays().acceptOnce(signature, clock.millis());
        database.close();
        open();
        SignedRequest.SignatureException replay = assertThrows(
                SignedRequest.SignatureException.class, () -> services.replays().acceptOnce(signature, clock.millis()));
        assertEquals("this request was already accepted once (replayed)", replay.getMessage());
    }

    /** The renter's first voucher (for nothing: the device is free), after which the device is told to serve. */
    private void vouch(String rental) {
        services.payments().acceptVoucher(Voucher.sign(renterPair, rental, 0, 0, clock.millis()));
    }
}
