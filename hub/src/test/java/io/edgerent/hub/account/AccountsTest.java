package io.edgerent.hub.account;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.device.Devices;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.testing.MutableClock;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.Template;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Web accounts, their sessions and owner invitations; a device's region and 30-day uptime in its listing. */
class AccountsTest {
    @TempDir
    Path dir;

    Database database;
    Sql sql;
    Services services;
    Accounts accounts;
    final MutableClock clock = new MutableClock();

    @BeforeEach
    void open() {
        database = Database.embedded(dir);
        sql = new Sql(database);
        services = Services.on(
                sql,
                HubConfig.builder()
                        .dataDir(dir)
                        .offlineAfter(Duration.ofSeconds(30))
                        .build(),
                clock);
        accounts = new Accounts(sql, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void password_is_kept_as_an_argon2id_hash_and_only_the_right_one_signs_in() {
        String hash = Accounts.hash("a long passphrase");
        assertTrue(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
        assertFalse(hash.contains("passphrase"));
        assertNotEquals(hash, Accounts.hash("a long passphrase"), "a fresh salt each time");
        assertTrue(Accounts.verify("a long passphrase", hash));
        assertFalse(Accounts.verify("a long passphrasE", hash));

        Accounts.Account rita = accounts.signUp("rita", "a long passphrase", null);
        assertEquals(32, rita.renterKey().length);
        assertArrayEquals(
                rita.renterKey(),
                accounts.check("rita", "a long passphrase").orElseThrow().renterKey());
        assertTrue(accounts.check("rita", "wrong passphrase").isEmpty());
        assertTrue(accounts.check("nobody", "a long passphrase").isEmpty());
        assertTrue(accounts.check("../etc", "a long passphrase").isEmpty());
    }

    @Test
    void sign_up_is_refused_for_a_taken_name_a_bad_name_or_a_short_password_and_nothing_is_created() {
        accounts.signUp("rita", "a long passphrase", null);
        assertThrows(RefusedException.class, () -> accounts.signUp("rita", "another passphrase", null));
        assertThrows(RefusedException.class, () -> accounts.signUp("Rita<script>", "a long passphrase", null));
        assertThrows(RefusedException.class, () -> accounts.signUp("sam", "short", null));
        assertThrows(RefusedException.class, () -> accounts.signUp("sam", "a long passphrase", "not-an-invitation"));
        assertTrue(accounts.check("sam", "a long passphrase").isEmpty());
        assertTrue(accounts.check("rita", "another passphrase").isEmpty(), "the first rita's password stands");
    }

    @Test
    void an_owner_invitation_works_once_and_gives_that_owners_dashboard() {
        String code = services.devices().issueOwnerInvite("olga");
        assertEquals("olga", accounts.signUp("olga", "owner passphrase", code).owner());
        assertThrows(RefusedException.class, () -> accounts.signUp("mallory", "a long passphrase", code));
        assertTrue(accounts.check("mallory", "a long passphrase").isEmpty());
    }

    @Test
    void a_session_is_found_by_its_cookie_until_it_expires_or_is_closed() {
        Accounts.Account rita = accounts.signUp("rita", "a long passphrase", null);
        Accounts.Session session = accounts.openSession(rita);
        assertEquals(43, session.cookie().length());
        assertEquals(
                "rita",
                accounts.session(session.cookie()).orElseThrow().account().name());
        assertEquals(
                session.csrf(), accounts.session(session.cookie()).orElseThrow().csrf());
        assertTrue(accounts.session(session.cookie().substring(1) + "x").isEmpty());
        clock.advance(Accounts.SESSION_LIFETIME.plusSeconds(1));
        assertTrue(accounts.session(session.cookie()).isEmpty(), "expired");
        Accounts.Session again = accounts.openSession(rita);
        accounts.closeSession(again.cookie());
        assertTrue(accounts.session(again.cookie()).isEmpty(), "signed out");
    }

    @Test
    void expired_sessions_and_sign_in_codes_are_deleted_and_live_ones_kept() {
        Accounts.Account rita = accounts.signUp("rita", "a long passphrase", null);
        accounts.openSession(rita);
        accounts.signInCode(Ed25519.raw(Ed25519.generate().getPublic()));
        clock.advance(Accounts.SESSION_LIFETIME.plusSeconds(1));
        Accounts.Session live = accounts.openSession(rita);
        String code = accounts.signInCode(Ed25519.raw(Ed25519.generate().getPublic()));
        assertEquals(2, accounts.pruneExpired(), "the old session and the old code");
        assertEquals(0, accounts.pruneExpired());
        assertTrue(accounts.session(live.cookie()).isPresent());
        assertTrue(accounts.redeem(code).isPresent());
        assertEquals(
                1L,
                sql.transaction(() -> sql.one("SELECT COUNT(*) FROM web_session")
                        .orElseThrow()
                        .integer(1)));
    }

    @Test
    void a_command_line_key_signs_in_once_through_a_short_lived_code_and_never_with_a_password() {
        byte[] key = Ed25519.raw(Ed25519.generate().getPublic());
        String code = accounts.signInCode(key);
        assertTrue(accounts.session(code).isEmpty(), "a code is not a session");
        Accounts.Account account = accounts.redeem(code).orElseThrow();
        assertArrayEquals(key, account.renterKey());
        assertTrue(account.name().startsWith("key-"), account.name());
        assertTrue(accounts.redeem(code).isEmpty(), "used up");
        assertTrue(accounts.check(account.name(), "!").isEmpty(), "no password signs a key's account in");
        assertEquals(
                account.name(),
                accounts.redeem(accounts.signInCode(key)).orElseThrow().name(),
                "the same account next time");
        String late = accounts.signInCode(key);
        clock.advance(Accounts.SIGN_IN_CODE_LIFETIME.plusSeconds(1));
        assertTrue(accounts.redeem(late).isEmpty(), "expired");
    }

    @Test
    void a_listing_shows_the_owners_region_and_the_share_of_time_online() {
        var key = Ed25519.generate();
        String device = services.devices()
                .register(
                        new Registration(
                                services.devices().issueToken("olga"),
                                Ed25519.raw(key.getPublic()),
                                new HardwareFacts(4, "c", 1, 1, "aarch64", "pi", 1)),
                        2222,
                        "k")
                .deviceId();
        Heartbeat beat =
                new Heartbeat(DeviceState.LISTED, null, new Prices(10, 0), true, EnumSet.of(Template.BASE), "Berlin");
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(10));
            services.rentals().heartbeat(device, beat);
        }
        // Offline for 100 s (longer than offlineAfter, so none of it counts), then back.
        clock.advance(Duration.ofSeconds(100));
        services.rentals().heartbeat(device, beat);
        Listing listing = services.market().listings().get(0);
        assertEquals("Berlin", listing.region());
        assertEquals(500, listing.uptimePermille(), "100 s online of 200 s on the hub");
        // Across midnight the day before moves to the history, and still counts.
        clock.advance(Duration.ofHours(12).minusSeconds(210));
        services.rentals().heartbeat(device, beat);
        clock.advance(Duration.ofSeconds(10));
        services.rentals().heartbeat(device, beat);
        assertEquals(
                110_000 * 1000L / Duration.ofHours(12).toMillis(),
                services.market().listings().get(0).uptimePermille());
        // The history keeps the days the uptime is read over, not every day since the device came.
        for (int day = 0; day < 45; day++) {
            clock.advance(Duration.ofDays(1));
            services.rentals().heartbeat(device, beat);
            clock.advance(Duration.ofSeconds(10));
            services.rentals().heartbeat(device, beat);
        }
        long days = sql.transaction(() -> sql.one("SELECT COUNT(*) FROM device_online WHERE device_id = ?", device)
                .orElseThrow()
                .integer(1));
        assertEquals(Devices.UPTIME_DAYS - 1, days, "the days before today within the 30");
        assertThrows(
                IllegalArgumentException.class,
                () -> new Heartbeat(
                        DeviceState.LISTED, null, Prices.FREE, true, EnumSet.of(Template.BASE), "<script>"));
    }
}
