package io.edgerent.hub.api.coap;

import io.edgerent.hub.api.coap.Resources.Handler;
import io.edgerent.hub.api.coap.Resources.Peer;
import io.edgerent.hub.backup.Backups;
import io.edgerent.hub.backup.Manifest;
import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.payment.SettlementRail;
import io.edgerent.hub.rental.Services;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.TokenRequest;
import io.edgerent.protocol.WalletMove;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What only the hub operator may ask, with the hub's admin secret: registration tokens, money moved on the
 * settlement rail ({@code wallet/move}), owners' earnings, the links with other hubs, and backups.
 */
final class OperatorResources {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorResources.class);

    private final Services services;
    private final HubKey hubKey;
    private final String adminSecret;
    private final SettlementRail rail;
    private final Federation federation;
    private final Backups backups;

    OperatorResources(Services services, HubKey hubKey, String adminSecret, Federation federation, Backups backups) {
        this.services = services;
        this.hubKey = hubKey;
        this.adminSecret = adminSecret;
        this.rail = SettlementRail.internal(services.ledger());
        this.federation = federation;
        this.backups = backups;
    }

    CoapResource tokens() {
        return new Handler(Paths.TOKENS).onPost(this::issueToken);
    }

    CoapResource move() {
        return new Handler(Paths.MOVE).onPost(this::moveMoney);
    }

    CoapResource earnings() {
        return new Handler(Paths.EARNINGS).onPost(this::earnings);
    }

    /** {@code federation/peers}. */
    CoapResource links() {
        return new Handler(Paths.PEERS).onPost(this::links);
    }

    /**
     * {@code backup} (admin, plain loopback CoAP only: the hub writes into a directory of its own machine): a backup
     * into {@code dir}, answered with its manifest. Accepted at once, answered when written, however long it takes.
     */
    CoapResource backup() {
        return new Handler(CoapApi.BACKUP_PATH) {
            @Override
            public void handlePOST(CoapExchange exchange) {
                exchange.accept();
                Resources.respond(
                        exchange,
                        ResponseCode.CHANGED,
                        peer -> backup(exchange.getRequestPayload(), peer),
                        Peer.of(exchange));
            }
        };
    }

    private byte[] backup(byte[] payload, Peer peer) {
        Fields f = Cbor.decodeMap(payload);
        requireAdmin(f.text("secret"));
        if (peer.key() != null) {
            throw new RefusedException(
                    ErrorCode.FORBIDDEN, "backups are asked on the hub's machine, over plain CoAP on 127.0.0.1");
        }
        Path dir = Path.of(f.text("dir"));
        if (!dir.isAbsolute()) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "the backup directory must be an absolute path");
        }
        try {
            Manifest manifest = backups.writeTo(dir);
            LOG.info("backed up into {}", dir);
            return Cbor.encode(Map.of("manifest", manifest.encode()));
        } catch (IllegalStateException | UncheckedIOException e) {
            LOG.warn("a backup into {} failed: {}", dir, e.getMessage());
            throw new RefusedException(ErrorCode.PRECONDITION_FAILED, e.getMessage());
        }
    }

    private byte[] issueToken(byte[] payload, Peer peer) {
        TokenRequest request = TokenRequest.decode(payload);
        requireAdmin(request.adminSecret());
        if (request.dashboard()) {
            String invite = services.devices().issueOwnerInvite(request.owner());
            return Cbor.encode(Map.of(
                    "token",
                    invite,
                    "hubKey",
                    hubKey.openSsh(),
                    "path",
                    "/signup?invite=" + invite,
                    "httpPort",
                    services.rentals().httpPort(),
                    "httpsPort",
                    services.rentals().httpsPort()));
        }
        // The hub's SSH host key comes along, so provisioning can pin it in the device's first-boot config.
        return Cbor.encode(Map.of("token", services.devices().issueToken(request.owner()), "hubKey", hubKey.openSsh()));
    }

    private byte[] moveMoney(byte[] payload, Peer peer) {
        WalletMove move = WalletMove.decode(payload);
        requireAdmin(move.adminSecret());
        if (!move.account().matches("renter:[0-9a-f]{64}|owner:[A-Za-z0-9._-]{1,64}|" + Ledger.HUB_FEES)) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST,
                    "accounts are renter:KEYHEX (from `edgerent wallet`), owner:NAME or " + Ledger.HUB_FEES);
        }
        if (move.direction().equals(WalletMove.DEPOSIT)) {
            rail.deposit(move.account(), move.amount(), move.reference());
        } else {
            rail.withdraw(move.account(), move.amount(), move.reference());
        }
        LOG.info("{} of {} for {} (ref {})", move.direction(), move.amount(), move.account(), move.reference());
        return services.ledger().statement(move.account()).encode();
    }

    private byte[] earnings(byte[] payload, Peer peer) {
        Fields f = Cbor.decodeMap(payload);
        requireAdmin(f.text("secret"));
        return services.books().earnings(f.text("owner")).encode();
    }

    /** {@code federation/peers} (admin): add, set the credit of, remove or list the linked hubs. */
    private byte[] links(byte[] payload, Peer peer) {
        Fields f = Cbor.decodeMap(payload);
        requireAdmin(f.text("secret"));
        switch (f.text("action")) {
            case "add" ->
                federation.link(
                        f.text("name"),
                        f.text("address"),
                        f.text("key"),
                        f.has("credit") ? f.integer("credit", 0, Long.MAX_VALUE / 4) : 0);
            case "credit" -> federation.setCredit(f.text("name"), f.integer("credit", 0, Long.MAX_VALUE / 4));
            case "remove" -> federation.unlink(f.text("name"));
            case "list" -> {}
            default -> throw new RefusedException(ErrorCode.BAD_REQUEST, "action is add, credit, remove or list");
        }
        return Cbor.encode(Map.of("links", federation.linkStatus()));
    }

    private void requireAdmin(String secret) {
        if (!MessageDigest.isEqual(
                secret.getBytes(StandardCharsets.UTF_8), adminSecret.getBytes(StandardCharsets.UTF_8))) {
            throw new RefusedException(
                    ErrorCode.UNAUTHORIZED, "wrong admin secret (see admin.secret in the hub's data directory)");
        }
    }
}
