package io.edgerent.hub.web;

import static io.edgerent.hub.web.WebExchange.asset;
import static io.edgerent.hub.web.WebExchange.hexBytes;
import static io.edgerent.hub.web.WebExchange.notFound;
import static io.edgerent.hub.web.WebExchange.requireFormToken;
import static io.edgerent.hub.web.WebExchange.signedIn;
import static io.edgerent.hub.web.WebExchange.wholeNumber;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.account.AuthPenalties;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.identity.AuthorizedKeys;
import io.edgerent.hub.market.MarketFilter;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.hub.web.WebExchange.Answer;
import io.edgerent.hub.web.WebExchange.Request;
import io.edgerent.hub.web.WebExchange.SignInNeeded;
import io.edgerent.hub.web.WebExchange.WebRefusal;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Template;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The marketplace pages and the owner dashboard, rendered on the hub. It listens on loopback only:
 * the HTTP router passes it every request for the hub's own host name (not a rental's), over HTTP
 * and HTTPS, with the client's address and scheme in {@code X-Forwarded-*} headers it set itself.
 * Every POST carries the session's token against cross-site requests (or, before signing in, the
 * token of a short cookie), and is refused without it.
 */
public final class WebUi {
    private static final Logger LOG = LoggerFactory.getLogger(WebUi.class);
    private final HubConfig config;
    private final Services services;
    private final Accounts accounts;
    private final Supplier<List<Listing>> market;
    private final Clock clock;
    private final SignIns signIns;
    private final MyRentals myRentals;

    public WebUi(
            HubConfig config,
            Services services,
            Accounts accounts,
            Supplier<List<Listing>> market,
            String hubKey,
            Clock clock) {
        this.config = config;
        this.services = services;
        this.accounts = accounts;
        this.market = market;
        this.clock = clock;
        this.signIns = new SignIns(accounts, new AuthPenalties(clock));
        this.myRentals = new MyRentals(config, services, hubKey);
    }

    /** What a page answers, with the headers every page carries. */
    public record Reply(int status, List<String[]> headers, byte[] body) {}

    /**
     * Answers one request for the hub's own pages. {@code headers} has lower-case names; {@code https} and
     * {@code client} are what the router saw of the connection, never what a header claims.
     */
    public Reply serve(
            String method, String uri, Map<String, List<String>> headers, byte[] body, boolean https, String client) {
        Answer answer;
        Request request = null;
        try {
            request = WebExchange.read(method, uri, headers, body, https, client, accounts);
            answer = route(request);
        } catch (SignInNeeded e) {
            answer = request.wantsJson()
                    ? problem(request, 401, e.getMessage())
                    : Answer.redirect("/signin?next=" + Html.url(request.path()));
        } catch (WebRefusal e) {
            answer = problem(request, e.status, e.getMessage());
        } catch (DatabaseUnavailable e) {
            answer = problem(request, 503, e.getMessage())
                    .with("Retry-After", String.valueOf(DatabaseUnavailable.RETRY_AFTER_SECONDS));
        } catch (RefusedException e) {
            answer = problem(request, WebExchange.status(e.code()), e.getMessage());
        } catch (MalformedMessageException | IllegalArgumentException e) {
            answer = problem(request, 400, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("web page {} failed", uri, e);
            answer = problem(request, 500, "The hub could not answer this page; the error is in its log.");
        }
        return WebExchange.reply(request, answer, config.tlsCertificate() != null);
    }

    private Answer problem(Request request, int status, String message) {
        if (request != null && request.wantsJson()) {
            return Answer.json(status, "{\"error\":" + Html.jsonText(message) + "}");
        }
        return Answer.html(status, Html.problem(request, status, message));
    }

    private Answer route(Request r) {
        String[] parts = r.path().substring(1).split("/", -1);
        boolean get = r.method().equals("GET") || r.method().equals("HEAD");
        boolean post = r.method().equals("POST");
        if (!get && !post) {
            return Answer.html(405, Html.problem(r, 405, "These pages take GET and POST only."))
                    .with("Allow", "GET, HEAD, POST");
        }
        if (post) {
            requireFormToken(r);
        }
        String first = parts[0];
        switch (first) {
            case "":
                return get && parts.length == 1
                        ? Answer.html(200, MarketPages.market(r, MarketFilter.from(r.query()), market.get()))
                        : notFound(r);
            case "assets":
                return get && parts.length == 2 ? asset(parts[1]) : notFound(r);
            case "devices":
                if (get && parts.length == 2) {
                    return devicePage(r, parts[1], null);
                }
                return notFound(r);
            case "rent":
                return post && parts.length == 1 ? rent(r) : notFound(r);
            case "rentals":
                return myRentals.answer(r, parts, get);
            case "owner":
                return get && parts.length == 1 ? ownerDashboard(r) : notFound(r);
            case "signin":
                if (parts.length == 3 && parts[1].equals("key") && get) {
                    return Answer.html(200, AccountPages.keySignIn(r, parts[2]));
                }
                if (parts.length == 2 && parts[1].equals("key") && post) {
                    return signIns.keySignIn(r);
                }
                return parts.length == 1 ? (get ? signIns.signInPage(r, null, 200) : signIns.signIn(r)) : notFound(r);
            case "signup":
                return parts.length == 1 ? (get ? signIns.signUpPage(r, null, 200) : signIns.signUp(r)) : notFound(r);
            case "signout":
                return post && parts.length == 1 ? signIns.signOut(r) : notFound(r);
            default:
                return notFound(r);
        }
    }

    // ---- market and renting
    // ----------------------------------------------------------------------------------------------

    private Answer devicePage(Request r, String deviceId, String error) {
        if (!Names.isDeviceId(deviceId)) {
            return notFound(r);
        }
        Listing listing = listing(deviceId);
        Long balance = r.account()
                .map(a -> services.books().walletOf(a.renterKey()).balance())
                .orElse(null);
        return Answer.html(error == null ? 200 : 422, MarketPages.device(r, listing, balance, error));
    }

    private Listing listing(String deviceId) {
        return market.get().stream()
                .filter(l -> l.deviceId().equals(deviceId))
                .findFirst()
                .orElseThrow(() -> new RefusedException(
                        ErrorCode.NOT_FOUND, "There is no device " + deviceId + " on this hub's market."));
    }

    private Answer rent(Request r) {
        Accounts.Account account = signedIn(r);
        String deviceId = r.param("device");
        if (!Names.isDeviceId(deviceId)) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "the form names no device");
        }
        try {
            int hours = wholeNumber(r.param("hours"), "hours", 1, RentRequest.MAX_HOURS);
            long maxPrice = wholeNumber(r.param("maxPrice"), "the maximum price per hour", 0, Prices.MAX);
            Template template = Template.parse(r.param("template") == null ? "base" : r.param("template"));
            String sshKey = r.param("sshKey") == null ? "" : r.param("sshKey").strip();
            if (sshKey.isEmpty()) {
                throw new RefusedException(
                        ErrorCode.BAD_REQUEST,
                        "paste the SSH public key you will log in with (the line in ~/.ssh/id_ed25519.pub)");
            }
            byte[] voucherKey = hexBytes(
                    r.param("voucherKey"),
                    32,
                    "This page signs your payments in the browser and needs"
                            + " JavaScript with WebCrypto Ed25519 (any current Chromium or Firefox); or rent with `edgerent rent`.");
            String passwordSha256 = r.param("passwordSha256");
            if (template != Template.FILES || passwordSha256 == null || passwordSha256.isEmpty()) {
                passwordSha256 = null;
            }
            if (template == Template.FILES && passwordSha256 == null) {
                throw new RefusedException(
                        ErrorCode.BAD_REQUEST, "the files template needs a password for its file host");
            }
            Listing listing = listing(deviceId);
            if (listing.home() != null) {
                throw new RefusedException(
                        ErrorCode.CONFLICT,
                        "this device belongs to the linked hub " + listing.home() + "; rent it with `edgerent rent "
                                + deviceId + "` (the pages rent this hub's own devices)");
            }
            long deposit = new Prices(Math.min(listing.prices().perHour(), maxPrice), 0).forSeconds(hours * 3600L);
            RentRequest request = new RentRequest(
                    deviceId,
                    hours,
                    sshKey,
                    maxPrice,
                    deposit,
                    template,
                    passwordSha256,
                    r.param("maxEgressGb") == null || r.param("maxEgressGb").isBlank()
                            ? RentRequest.DEFAULT_MAX_EGRESS_BYTES
                            : egressCap(r.param("maxEgressGb")));
            RentalView rental = services.rentals()
                    .rentFromPage(account.renterKey(), request, AuthorizedKeys.normalize(sshKey), voucherKey);
            LOG.info(
                    "rental {} of device {} for {} h, from the web pages ({})",
                    rental.name(),
                    deviceId,
                    hours,
                    account.name());
            return Answer.redirect("/rentals/" + rental.name());
        } catch (RefusedException | MalformedMessageException e) {
            return devicePage(r, deviceId, e.getMessage());
        }
    }

    // ---- owners
    // ----------------------------------------------------------------------------------------------------------

    private Answer ownerDashboard(Request r) {
        Accounts.Account account = signedIn(r);
        if (account.owner() == null) {
            return Answer.html(
                    403,
                    Html.problem(
                            r,
                            403,
                            "This account is not an owner's. The hub operator invites owners with"
                                    + " `edgerent token --owner NAME --dashboard`; sign up with that invitation."));
        }
        String owner = account.owner();
        return Answer.html(
                200,
                OwnerPages.owner(
                        r,
                        owner,
                        services.market().listingsOf(owner),
                        services.books().currentRentalsOf(owner),
                        services.books().earnings(owner),
                        services.books().incomeByDay(owner, 30),
                        services.wipes().wipesOf(owner, 10),
                        clock.millis()));
    }

    /** The rent form's egress cap (RentRequest.egressBytes), refused with the form's own words. */
    private static long egressCap(String gb) {
        try {
            return RentRequest.egressBytes(gb);
        } catch (MalformedMessageException e) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, "the most egress you pay for is a number of GB from 0 to 100000");
        }
    }
}
