package io.edgerent.hub.api.coap;

import io.edgerent.hub.api.coap.Resources.Handler;
import io.edgerent.hub.api.coap.Resources.Peer;
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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.eclipse.californium.core.CoapResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What only the hub operator may ask, with the hub's admin secret: registration tokens, money moved on the
 * settlement rail ({@code wallet/move}), owners' earnings, and the links with other hubs.
 */
final class OperatorResources {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorResources.class);

    private final Services services;
    private final HubKey hubKey;
    private final String adminSecret;
    private final SettlementRail rail;
    private final Federation federation;

    OperatorResources(Services services, HubKey hubKey, String adminSecret, Federation federation) {
        this.services = services;
        this.hubKey = hubKey;
        this.adminSecret = adminSecret;
        this.rail = SettlementRail.internal(services.ledger());
        this.federation = federation;
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
