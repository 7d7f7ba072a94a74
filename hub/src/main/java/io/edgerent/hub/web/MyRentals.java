package io.edgerent.hub.web;

import static io.edgerent.hub.web.WebExchange.HEX;
import static io.edgerent.hub.web.WebExchange.hexBytes;
import static io.edgerent.hub.web.WebExchange.signedIn;
import static io.edgerent.hub.web.WebExchange.wholeNumber;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.web.WebExchange.Answer;
import io.edgerent.hub.web.WebExchange.Request;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Voucher;
import io.edgerent.protocol.WipeRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A renter's rentals on the pages: the list with the wallet, one rental with its live status, and what the page's
 * script posts for it (vouchers it signed, more hours, the end). Another account's rental is as unknown as one that
 * does not exist.
 */
final class MyRentals {
    private static final Logger LOG = LoggerFactory.getLogger(MyRentals.class);

    private final HubConfig config;
    private final Services services;
    private final String hubKey;

    MyRentals(HubConfig config, Services services, String hubKey) {
        this.config = config;
        this.services = services;
        this.hubKey = hubKey;
    }

    /** {@code /rentals} and {@code /rentals/NAME[/ACTION]} for the signed-in renter. */
    Answer answer(Request r, String[] parts, boolean get) {
        Accounts.Account account = signedIn(r);
        if (parts.length == 1 && get) {
            return Answer.html(
                    200,
                    RenterPages.myRentals(
                            r,
                            services.rentals().rentalsOf(account.renterKey()),
                            services.books().walletOf(account.renterKey()),
                            config.publicHost()));
        }
        if (parts.length < 2 || !Names.isRentalName(parts[1]) || parts.length > 3) {
            return WebExchange.notFound(r);
        }
        String name = parts[1];
        RentalView rental = rentalOf(account, name);
        String action = parts.length == 3 ? parts[2] : "";
        switch (action) {
            case "":
                return get
                        ? Answer.html(200, RenterPages.rental(r, rental, status(account, rental), null))
                        : WebExchange.notFound(r);
            case "status":
                return get ? Answer.json(200, statusJson(account, rental)) : WebExchange.notFound(r);
            case "voucher":
                return get ? WebExchange.notFound(r) : voucher(r, account, rental);
            case "extend":
                return get ? WebExchange.notFound(r) : extend(r, account, rental);
            case "end":
                if (get) {
                    return WebExchange.notFound(r);
                }
                services.rentals().end(account.renterKey(), name);
                LOG.info("rental {} ended from the web pages ({})", name, account.name());
                return Answer.redirect("/rentals/" + name);
            default:
                return WebExchange.notFound(r);
        }
    }

    /** One of the account's rentals; another account's is as unknown as one that does not exist. */
    private RentalView rentalOf(Accounts.Account account, String name) {
        return services.rentals().rentalsOf(account.renterKey()).stream()
                .filter(v -> v.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new RefusedException(ErrorCode.NOT_FOUND, "You have no rental " + name + "."));
    }

    /** Everything the rental page shows and refreshes: the rental, its channel, its key, and its wipe record once there. */
    record RentalStatus(
            RentalView rental, ChannelStatus channel, String voucherKey, WipeRecord wipe, String sshCommand) {}

    private RentalStatus status(Accounts.Account account, RentalView rental) {
        ChannelStatus channel = services.payments().channel(account.renterKey(), rental.name());
        // A channel whose vouchers verify with the renter key is paid from the command line; the page pays only its
        // own.
        String voucherKey = services.payments()
                .voucherKeyOf(rental.name())
                .filter(k -> !java.util.Arrays.equals(k, account.renterKey()))
                .map(HEX::formatHex)
                .orElse("");
        WipeRecord wipe = null;
        if (rental.state().equals(RentalView.ENDED)) {
            try {
                wipe = services.wipes().wipeOf(account.renterKey(), rental.name());
            } catch (RefusedException e) {
                // Not sent yet: the page says so and asks again.
            }
        }
        String ssh = "ssh -J " + rental.name() + "@" + config.publicHost() + ":" + rental.sshPort() + " root@"
                + rental.name();
        return new RentalStatus(rental, channel, voucherKey, wipe, ssh);
    }

    private String statusJson(Accounts.Account account, RentalView rental) {
        return RenterPages.statusJson(status(account, rental), hubKey);
    }

    private Answer voucher(Request r, Accounts.Account account, RentalView rental) {
        long amount = wholeNumber(r.param("amount"), "amount", 0, Long.MAX_VALUE);
        long sequence = wholeNumber(r.param("seq"), "seq", 0, Long.MAX_VALUE);
        long issuedAt = wholeNumber(r.param("issuedAt"), "issuedAt", 0, Long.MAX_VALUE);
        byte[] signature = hexBytes(r.param("sig"), 64, "the voucher needs its signature (128 hex digits)");
        services.payments().acceptVoucher(new Voucher(rental.name(), amount, sequence, issuedAt, signature));
        return Answer.json(200, statusJson(account, rental));
    }

    private Answer extend(Request r, Accounts.Account account, RentalView rental) {
        try {
            int hours = wholeNumber(r.param("hours"), "hours", 1, RentRequest.MAX_HOURS);
            ChannelStatus channel = services.payments().channel(account.renterKey(), rental.name());
            long deposit = channel.prices().forSeconds(hours * 3600L);
            services.rentals()
                    .extend(
                            account.renterKey(),
                            rental.name(),
                            hours,
                            deposit,
                            "topup:" + rental.name() + ":web:" + Accounts.randomToken());
            LOG.info("rental {} extended by {} h from the web pages ({})", rental.name(), hours, account.name());
            return Answer.redirect("/rentals/" + rental.name());
        } catch (RefusedException | MalformedMessageException e) {
            RentalView now = rentalOf(account, rental.name());
            return Answer.html(422, RenterPages.rental(r, now, status(account, now), e.getMessage()));
        }
    }
}
