package io.edgerent.hub.identity;

import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.SignedRequest;
import java.time.Clock;

/** Signed requests accepted once: the digests of their signatures, kept as long as a request stays fresh. */
public final class Replays {
    private final Sql sql;
    private final Clock clock;

    public Replays(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /**
     * Accepts a verified signed request once: a second one with the same signature is a replay.
     * Requests older than the freshness window are refused by their signature check, so only
     * those within it are remembered.
     */
    public void acceptOnce(byte[] signature, long issuedAt) {
        byte[] digest = Sha256.of(signature);
        sql.transaction(() -> {
            sql.update(
                    "DELETE FROM seen_request WHERE issued_at < ?", clock.millis() - 2 * SignedRequest.MAX_AGE_MILLIS);
            if (sql.one("SELECT issued_at FROM seen_request WHERE digest = ?", digest)
                    .isPresent()) {
                throw new SignedRequest.SignatureException("this request was already accepted once (replayed)");
            }
            sql.update("INSERT INTO seen_request(digest, issued_at) VALUES (?, ?)", digest, issuedAt);
        });
    }
}
