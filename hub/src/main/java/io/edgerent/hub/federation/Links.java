package io.edgerent.hub.federation;

import io.edgerent.hub.federation.Federation.LinkedHub;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.SshKeys;
import java.net.URI;
import java.security.PublicKey;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The hubs this one is linked with, as the database holds them, kept in memory between reads. */
final class Links {
    private static final Logger LOG = LoggerFactory.getLogger(Links.class);
    /** Linked hubs talk CoAP over DTLS: their addresses are coaps://HOST:PORT. */
    private static final String SCHEME = "coaps";

    private final Sql sql;
    private final Clock clock;
    /** This hub's own key, which is never linked. */
    private final String hubKey;

    private volatile List<LinkedHub> links;

    Links(Sql sql, Clock clock, String hubKey) {
        this.sql = sql;
        this.clock = clock;
        this.hubKey = hubKey;
    }

    /**
     * The links as last read from the database: again by every round, and at once by a link or unlink
     * made here. One made through another hub on the same database shows here at the next round.
     */
    List<LinkedHub> links() {
        List<LinkedHub> known = links;
        return known != null ? known : reload();
    }

    List<LinkedHub> reload() {
        List<LinkedHub> read =
                sql.transaction(() -> sql.all("SELECT name, address, hub_key FROM linked_hub ORDER BY name").stream()
                        .map(r -> new LinkedHub(r.text("name"), URI.create(r.text("address")), r.text("hub_key")))
                        .toList());
        links = read;
        return read;
    }

    Optional<LinkedHub> linked(String name) {
        return links().stream().filter(l -> l.name().equals(name)).findFirst();
    }

    /** The linked hub whose key authenticated a DTLS session, if any. */
    Optional<LinkedHub> byKey(PublicKey key) {
        return key == null
                ? Optional.empty()
                : links().stream().filter(l -> l.key().equals(key)).findFirst();
    }

    /**
     * Links the hub at {@code address} (coaps://HOST:PORT) with key {@code key} (an OpenSSH line) as {@code name},
     * giving it {@code credit}: the most it may owe this hub, or this hub it, for rentals passed between them.
     */
    LinkedHub add(String name, String address, String key, long credit) {
        requireCredit(credit);
        if (!Names.isHubName(name)) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "a linked hub's name is 1 to 32 of a-z, 0-9 and '-', starting with a" + " letter or digit; got '"
                            + name + "'");
        }
        URI uri;
        try {
            uri = new URI(address);
        } catch (java.net.URISyntaxException e) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, "the address is coaps://HOST:PORT; got '" + address + "'");
        }
        if (!SCHEME.equals(uri.getScheme())
                || uri.getHost() == null
                || uri.getPort() <= 0
                || uri.getRawPath() != null && !uri.getRawPath().isEmpty()
                || uri.getRawQuery() != null) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "the address is coaps://HOST:PORT (linked hubs talk DTLS); got '" + address + "'");
        }
        PublicKey parsed;
        try {
            parsed = SshKeys.ecdsaP256Key(key);
        } catch (RuntimeException e) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "the key is the other hub's 'hub key:' line (ecdsa-sha2-nistp256 AAAA...),"
                            + " as `edgerent hub` prints it: " + e.getMessage());
        }
        String line = SshKeys.ecdsaP256Line(parsed);
        if (line.equals(hubKey)) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "that is this hub's own key");
        }
        sql.transaction(() -> {
            if (sql.one("SELECT name FROM linked_hub WHERE name = ?", name).isPresent()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT, "a hub is already linked as " + name + " (remove it first)");
            }
            Optional<Sql.Row> sameKey = sql.one("SELECT name FROM linked_hub WHERE hub_key = ?", line);
            if (sameKey.isPresent()) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "this key is already linked as " + sameKey.get().text("name"));
            }
            sql.update(
                    "INSERT INTO linked_hub(name, address, hub_key, added_at, credit) VALUES (?, ?, ?, ?, ?)",
                    name,
                    uri.toString(),
                    line,
                    clock.millis(),
                    credit);
        });
        reload();
        LOG.info("linked hub {} at {} with a credit of {}", name, uri, credit);
        return new LinkedHub(name, uri, line);
    }

    /** Sets the credit of the linked hub {@code name}; what is outstanding stays, and no new rental passes beyond it. */
    void setCredit(String name, long credit) {
        requireCredit(credit);
        sql.transaction(() -> {
            if (sql.update("UPDATE linked_hub SET credit = ? WHERE name = ?", credit, name) == 0) {
                throw new RefusedException(ErrorCode.NOT_FOUND, "no hub is linked as " + name);
            }
        });
        LOG.info("linked hub {} now has a credit of {}", name, credit);
    }

    /** The credit of the linked hub {@code name} (0 for a hub not linked). */
    long credit(String name) {
        return sql.transaction(() -> sql.one("SELECT credit FROM linked_hub WHERE name = ?", name)
                .map(r -> r.integer("credit"))
                .orElse(0L));
    }

    private static void requireCredit(long credit) {
        if (credit < 0 || credit > Long.MAX_VALUE / 4) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, "a credit is a whole number of the smallest unit, 0 or more; got " + credit);
        }
    }

    /** Removes a link; refused while rentals passed to that hub are not settled. */
    void remove(String name) {
        sql.transaction(() -> {
            if (sql.one("SELECT name FROM linked_hub WHERE name = ?", name).isEmpty()) {
                throw new RefusedException(ErrorCode.NOT_FOUND, "no hub is linked as " + name);
            }
            long open = sql.one(
                            "SELECT COUNT(*) FROM passed_rental WHERE hub = ? AND state <> ?", name, Federation.SETTLED)
                    .orElseThrow()
                    .integer(1);
            if (open > 0) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        open + " rental(s) passed to " + name + " are not settled yet; remove the link after they are");
            }
            sql.update("DELETE FROM linked_hub WHERE name = ?", name);
        });
        reload();
        LOG.info("unlinked hub {}", name);
    }
}
