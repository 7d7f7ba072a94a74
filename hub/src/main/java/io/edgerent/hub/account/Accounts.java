package io.edgerent.hub.account;

import io.edgerent.hub.identity.Sha256;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Accounts of the marketplace pages and their signed-in sessions. Passwords are kept only as
 * Argon2id hashes (OWASP's minimum: 19 MiB, 2 passes), in the PHC string format. A session is a
 * random cookie of which the database keeps only the SHA-256, with its own token against
 * cross-site requests; signing in always starts a new session.
 */
public final class Accounts {
    public static final Duration SESSION_LIFETIME = Duration.ofDays(7);
    public static final int MIN_PASSWORD = 10;
    static final int MAX_PASSWORD = 200;
    private static final int MEMORY_KIB = 19 * 1024;
    private static final int PASSES = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A signed-up account: its name, the renter key its rentals and wallet are held under, and the owner it may see (or null). */
    public record Account(String name, byte[] renterKey, String owner) {
        /** The account in a row that selected its name, renter_key and owner. */
        static Account of(Sql.Row r) {
            return new Account(r.text("name"), r.bytes("renter_key"), r.text("owner"));
        }
    }

    /** A signed-in browser: the cookie that names it, whose it is, and the token its forms carry. */
    public record Session(String cookie, Account account, String csrf) {}

    private final Sql sql;
    private final Clock clock;
    /** A hash to check passwords of unknown names against, so a wrong name takes as long as a wrong password. */
    private final String decoyHash;

    public Accounts(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
        this.decoyHash = hash("not a password of anyone");
    }

    /** Account names: 3 to 32 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit. */
    static boolean isAccountName(String name) {
        return name != null && name.matches("[a-z0-9][a-z0-9._-]{2,31}");
    }

    /**
     * Creates an account; with an owner invitation, one that sees that owner's dashboard. Refused
     * with the reason: a name taken or not allowed, a password too short or too long, an invitation
     * unknown or used.
     */
    public Account signUp(String name, String password, String invite) {
        if (!isAccountName(name)) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "an account name is 3 to 32 lower-case letters, digits, '.', '_' or '-',"
                            + " starting with a letter or digit");
        }
        checkPassword(password);
        String hash = hash(password);
        byte[] renterKey = Ed25519.raw(Ed25519.generate().getPublic());
        return sql.transaction(() -> {
            if (sql.one("SELECT name FROM web_account WHERE name = ?", name).isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT, "the name " + name + " is taken");
            }
            String owner = null;
            if (invite != null && !invite.isEmpty()) {
                Sql.Row found = sql.one("SELECT owner, used_by FROM owner_invite WHERE code = ?", invite)
                        .orElseThrow(() -> new RefusedException(
                                ErrorCode.FORBIDDEN,
                                "that owner invitation is unknown (ask the hub operator for one)"));
                if (found.text(2) != null) {
                    throw new RefusedException(ErrorCode.FORBIDDEN, "that owner invitation was already used");
                }
                owner = found.text(1);
                if (sql.one("SELECT name FROM web_account WHERE owner = ?", owner)
                        .isPresent()) {
                    throw new RefusedException(ErrorCode.CONFLICT, "owner " + owner + " already has an account");
                }
                sql.update(
                        "UPDATE owner_invite SET used_by = ?, used_at = ? WHERE code = ?",
                        name,
                        clock.millis(),
                        invite);
            }
            sql.update(
                    "INSERT INTO web_account(name, password_hash, renter_key, owner, created_at) VALUES (?, ?, ?, ?, ?)",
                    name,
                    hash,
                    renterKey,
                    owner,
                    clock.millis());
            return new Account(name, renterKey, owner);
        });
    }

    /** How long a sign-in link from the command line works. */
    public static final Duration SIGN_IN_CODE_LIFETIME = Duration.ofMinutes(2);
    /** The password hash of an account made by a renter key: no password signs it in. */
    private static final String NO_PASSWORD = "!";

    /**
     * A one-time code that signs {@code renterKey}'s account into the pages, making the account
     * (named key-HEX) the first time. The command line's renter then sees their rentals on the pages.
     * The code waits as a session row with no form token, which {@link #session} never accepts.
     */
    public String signInCode(byte[] renterKey) {
        String code = randomToken();
        long now = clock.millis();
        sql.transaction(() -> {
            Optional<Sql.Row> found = sql.one("SELECT name FROM web_account WHERE renter_key = ?", (Object) renterKey);
            String name;
            if (found.isPresent()) {
                name = found.get().text(1);
            } else {
                String hex = java.util.HexFormat.of().formatHex(renterKey);
                int length = 8;
                while (sql.one("SELECT name FROM web_account WHERE name = ?", "key-" + hex.substring(0, length))
                        .isPresent()) {
                    length += 4;
                }
                name = "key-" + hex.substring(0, length);
                sql.update(
                        "INSERT INTO web_account(name, password_hash, renter_key, owner, created_at) VALUES (?, ?, ?, NULL, ?)",
                        name,
                        NO_PASSWORD,
                        renterKey,
                        now);
            }
            sql.update(
                    "INSERT INTO web_session(id_sha256, account, csrf, created_at, expires_at) VALUES (?, ?, '', ?, ?)",
                    sha256(code),
                    name,
                    now,
                    now + SIGN_IN_CODE_LIFETIME.toMillis());
        });
        return code;
    }

    /** Deletes the sessions and sign-in codes past their time, used or not; answers how many. */
    public int pruneExpired() {
        return sql.transaction(() -> sql.update("DELETE FROM web_session WHERE expires_at <= ?", clock.millis()));
    }

    /** The account a sign-in code names, if it is one and still works; the code is used up either way. */
    public Optional<Account> redeem(String code) {
        if (code == null || code.length() != 43) {
            return Optional.empty();
        }
        byte[] id = sha256(code);
        return sql.transaction(() -> {
            Optional<Account> account = sql.one(
                            "SELECT a.name, a.renter_key, a.owner FROM web_session s JOIN web_account a"
                                    + " ON a.name = s.account WHERE s.id_sha256 = ? AND s.csrf = '' AND s.expires_at > ?",
                            id,
                            clock.millis())
                    .map(Account::of);
            sql.update("DELETE FROM web_session WHERE id_sha256 = ? AND csrf = ''", (Object) id);
            return account;
        });
    }

    /** The account whose name and password these are; empty for a wrong name or password alike. */
    public Optional<Account> check(String name, String password) {
        if (password == null || password.length() > MAX_PASSWORD) {
            return Optional.empty();
        }
        Optional<Sql.Row> found = isAccountName(name)
                ? sql.transaction(() ->
                        sql.one("SELECT name, password_hash, renter_key, owner FROM web_account WHERE name = ?", name))
                : Optional.empty();
        String hash = found.map(r -> r.text("password_hash"))
                .filter(h -> !h.equals(NO_PASSWORD))
                .orElse(decoyHash);
        boolean matches = verify(password, hash) && hash != decoyHash;
        return found.filter(r -> matches).map(Account::of);
    }

    public Session openSession(Account account) {
        String cookie = randomToken();
        String csrf = randomToken();
        long now = clock.millis();
        sql.transaction(() -> sql.update(
                "INSERT INTO web_session(id_sha256, account, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                sha256(cookie),
                account.name(),
                csrf,
                now,
                now + SESSION_LIFETIME.toMillis()));
        return new Session(cookie, account, csrf);
    }

    /** The live session a cookie names, if any. */
    public Optional<Session> session(String cookie) {
        if (cookie == null || cookie.length() != 43) {
            return Optional.empty();
        }
        return sql.transaction(() -> sql.one(
                        "SELECT a.name, a.renter_key, a.owner, s.csrf FROM web_session s JOIN web_account a"
                                + " ON a.name = s.account WHERE s.id_sha256 = ? AND s.expires_at > ? AND s.csrf <> ''",
                        sha256(cookie),
                        clock.millis())
                .map(r -> new Session(cookie, Account.of(r), r.text("csrf"))));
    }

    public void closeSession(String cookie) {
        sql.transaction(() -> sql.update("DELETE FROM web_session WHERE id_sha256 = ?", (Object) sha256(cookie)));
    }

    /** 32 random bytes, base64url without padding (43 characters). */
    public static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, "a password has at least " + MIN_PASSWORD + " characters");
        }
        if (password.length() > MAX_PASSWORD) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "a password has at most " + MAX_PASSWORD + " characters");
        }
    }

    /** The Argon2id hash of a password with a fresh salt: {@code $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH}. */
    static String hash(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + PASSES + ",p=1$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(argon2(password, salt, MEMORY_KIB, PASSES, 32));
    }

    /** Whether {@code password} matches a hash {@link #hash} wrote (its own parameters are read from it). */
    static boolean verify(String password, String phc) {
        String[] parts = phc.split("\\$");
        if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
            throw new IllegalStateException("not an Argon2id hash this hub wrote");
        }
        int memory = 0;
        int passes = 0;
        for (String p : parts[3].split(",")) {
            if (p.startsWith("m=")) {
                memory = Integer.parseInt(p.substring(2));
            } else if (p.startsWith("t=")) {
                passes = Integer.parseInt(p.substring(2));
            }
        }
        Base64.Decoder b64 = Base64.getDecoder();
        byte[] expected = b64.decode(parts[5]);
        return MessageDigest.isEqual(expected, argon2(password, b64.decode(parts[4]), memory, passes, expected.length));
    }

    private static byte[] argon2(String password, byte[] salt, int memoryKib, int passes, int length) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(passes)
                .withParallelism(1)
                .withSalt(salt)
                .build());
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }

    private static byte[] sha256(String text) {
        return Sha256.of(text.getBytes(StandardCharsets.UTF_8));
    }
}
