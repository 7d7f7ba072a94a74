package io.edgerent.hub.rental;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.payment.PaymentsTest;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.MutableClock;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalOrder;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** App templates on the market and at rent time, and egress billed from the device's or the router's count. */
class TemplatesTest {
    static final String SSH_KEY = PaymentsTest.SSH_KEY;
    static final String PASSWORD_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    static final Prices PRICES = new Prices(0, 1_000);

    @TempDir
    Path dir;

    Database database;
    Services services;
    final KeyPair deviceKey = Ed25519.generate();
    final KeyPair renter = Ed25519.generate();
    final byte[] renterKey = Ed25519.raw(renter.getPublic());
    final MutableClock clock = new MutableClock();
    String device;

    @BeforeEach
    void open() {
        database = Database.embedded(dir);
        services =
                Services.on(new Sql(database), HubConfig.builder().dataDir(dir).build(), clock);
        device = services.devices()
                .register(
                        new Registration(
                                services.devices().issueToken("olga"),
                                Ed25519.raw(deviceKey.getPublic()),
                                new HardwareFacts(4, "c", 1, 1, "aarch64", "pi", 1)),
                        2222,
                        "k")
                .deviceId();
    }

    @AfterEach
    void close() {
        database.close();
    }

    private void offer(Set<Template> templates) {
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES, true, templates));
    }

    private RentRequest request(Template template, String passwordSha256) {
        return new RentRequest(device, 1, SSH_KEY, 0, 0, template, passwordSha256);
    }

    @Test
    void the_market_shows_what_a_device_offers_and_an_old_device_offers_the_base_template() {
        services.rentals().heartbeat(device, new Heartbeat(DeviceState.LISTED, null, PRICES));
        assertEquals(
                EnumSet.of(Template.BASE), services.market().listings().get(0).templates());
        offer(EnumSet.of(Template.WEB, Template.FILES));
        assertEquals(
                EnumSet.of(Template.WEB, Template.FILES),
                services.market().listings().get(0).templates());
    }

    @Test
    void a_template_the_device_does_not_offer_or_a_file_host_without_a_password_is_refused_and_nothing_changes() {
        offer(EnumSet.of(Template.BASE, Template.WEB));
        RefusedException notOffered = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renterKey, request(Template.FILES, PASSWORD_SHA256), SSH_KEY));
        assertEquals(ErrorCode.CONFLICT, notOffered.code());
        assertEquals(
                "device " + device + " does not offer the files template (it offers base,web)",
                notOffered.getMessage());

        offer(EnumSet.allOf(Template.class));
        RefusedException noPassword = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renterKey, request(Template.FILES, null), SSH_KEY));
        assertEquals(ErrorCode.UNPROCESSABLE, noPassword.code());
        RefusedException strayPassword = assertThrows(
                RefusedException.class,
                () -> services.rentals().rent(renterKey, request(Template.WEB, PASSWORD_SHA256), SSH_KEY));
        assertEquals(ErrorCode.UNPROCESSABLE, strayPassword.code());
        assertNull(services.rentals().assignment(device).rental(), "the refusals assigned nothing");
    }

    @Test
    void the_device_is_told_the_template_and_the_password_hash_never_the_password() {
        offer(EnumSet.allOf(Template.class));
        String rental = services.rentals()
                .rent(renterKey, request(Template.FILES, PASSWORD_SHA256), SSH_KEY)
                .name();
        vouch(rental);
        RentalOrder order = services.rentals().assignment(device).rental();
        assertEquals(rental, order.name());
        assertEquals(Template.FILES, order.template());
        assertEquals(PASSWORD_SHA256, order.passwordSha256());
        assertEquals(
                Template.FILES, services.rentals().rentalsOf(renterKey).get(0).template());
    }

    @Test
    void egress_is_billed_from_the_larger_of_the_device_count_and_the_router_count_never_both() {
        offer(EnumSet.allOf(Template.class));
        String rental = services.rentals()
                .rent(renterKey, request(Template.WEB, null), SSH_KEY)
                .name();
        vouch(rental);
        services.rentals()
                .heartbeat(
                        device, new Heartbeat(DeviceState.RENTED, rental, PRICES, true, EnumSet.allOf(Template.class)));

        services.access().addHttpBytesOut(Map.of(rental, 3_000_000_000L));
        assertEquals(
                3_000_000_000L,
                services.payments().channel(renterKey, rental).egressBytes(),
                "the router's count bills on its own");
        assertEquals(3_000, services.payments().channel(renterKey, rental).due());

        clock.advance(Duration.ofSeconds(60)); // 2 GB in a minute: gigabit Ethernet carries 7.5
        services.payments().recordUsage(device, new UsageReport(rental, 1, 60, 1, 1, 0, 2_000_000_000L));
        assertEquals(
                3_000,
                services.payments().channel(renterKey, rental).due(),
                "the device saw less: the router's count stands");
        clock.advance(Duration.ofSeconds(60));
        services.payments().recordUsage(device, new UsageReport(rental, 2, 120, 1, 1, 0, 5_000_000_000L));
        assertEquals(
                5_000_000_000L, services.payments().channel(renterKey, rental).egressBytes());
        assertEquals(
                5_000,
                services.payments().channel(renterKey, rental).due(),
                "the device's count includes the router's bytes: not 8 GB");
    }

    /** The renter's first voucher, after which the device is told to serve the rental. */
    private void vouch(String rental) {
        services.payments().acceptVoucher(Voucher.sign(renter, rental, 0, 0, clock.millis()));
    }
}
