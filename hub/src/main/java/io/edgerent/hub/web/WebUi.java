package io.edgerent.hub.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.account.AuthPenalties;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.identity.AuthorizedKeys;
import io.edgerent.hub.market.MarketFilter;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.threads.DaemonThreads;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.Voucher;
import io.edgerent.protocol.WipeRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
public final class WebUi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebUi.class);
    static final String SESSION_COOKIE = "edgerent_session";
    /** Over HTTPS the cookie takes the __Host- prefix: no rental's page under the hub's domain can set or widen it. */
    static final String SECURE_SESSION_COOKIE = "__Host-edgerent_session";

    static final String FORM_COOKIE = "edgerent_form";
    private static final int MAX_BODY = 64 * 1024;
    /** Voucher keys and SHA-256 hashes arrive as hex. */
    private static final HexFormat HEX = HexFormat.of();

    private final HubConfig config;
    private final Services services;
    private final Accounts accounts;
    private final Supplier<List<Listing>> market;
    private final String hubKey;
    private final Clock clock;
    private final AuthPenalties penalties;
    private final HttpServer server;
    private final ExecutorService workers;

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
        this.hubKey = hubKey;
        this.clock = clock;
        this.penalties = new AuthPenalties(clock);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the web pages on loopback: " + e.getMessage(), e);
        }
        workers = Executors.newFixedThreadPool(8, DaemonThreads.named("web"));
        server.setExecutor(workers);
        server.createContext("/", this::serve);
    }

    public void start() {
        server.start();
    }

    /** The loopback port the router passes the pages' requests to. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }

    /** One request as the pages see it. */
    record Request(
            String method,
            String path,
            Map<String, String> query,
            Map<String, String> form,
            Optional<Accounts.Session> session,
            boolean https,
            String client,
            String formToken,
            HttpExchange exchange) {
        String csrf() {
            return session.map(Accounts.Session::csrf).orElse(formToken);
        }

        Optional<Accounts.Account> account() {
            return session.map(Accounts.Session::account);
        }

        /** The rental page's script reads and posts JSON: its status and its vouchers. */
        boolean wantsJson() {
            return path.endsWith("/status") || path.endsWith("/voucher");
        }

        String param(String name) {
            String v = form.get(name);
            return v != null ? v : query.get(name);
        }
    }

    /** What a page answers: a status, a type, a body, and headers of its own (cookies, a location). */
    record Answer(int status, String type, byte[] body, List<String[]> headers) {
        static Answer html(int status, String html) {
            return new Answer(
                    status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), new ArrayList<>());
        }

        static Answer json(int status, String json) {
            return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8), new ArrayList<>());
        }

        static Answer redirect(String location) {
            Answer a = new Answer(303, "text/plain; charset=utf-8", new byte[0], new ArrayList<>());
            a.headers.add(new String[] {"Location", location});
            return a;
        }

        Answer with(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer answer;
            Request request = null;
            try {
                request = read(exchange);
                answer = route(request);
            } catch (SignInNeeded e) {
                answer = request.wantsJson()
                        ? problem(request, 401, e.getMessage())
                        : Answer.redirect("/signin?next=" + Html.url(request.path()));
            } catch (WebRefusal e) {
                answer = problem(request, e.status, e.getMessage());
            } catch (RefusedException e) {
                answer = problem(request, status(e.code()), e.getMessage());
            } catch (MalformedMessageException | IllegalArgumentException e) {
                answer = problem(request, 400, e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("web page {} failed", exchange.getRequestURI().getPath(), e);
                answer = problem(request, 500, "The hub could not answer this page; the error is in its log.");
            }
            send(exchange, answer);
        }
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
                return rentals(r, parts, get);
            case "owner":
                return get && parts.length == 1 ? ownerDashboard(r) : notFound(r);
            case "signin":
                if (parts.length == 3 && parts[1].equals("key") && get) {
                    return Answer.html(200, AccountPages.keySignIn(r, parts[2]));
                }
                if (parts.length == 2 && parts[1].equals("key") && post) {
                    return keySignIn(r);
                }
                return parts.length == 1 ? (get ? signInPage(r, null, 200) : signIn(r)) : notFound(r);
            case "signup":
                return parts.length == 1 ? (get ? signUpPage(r, null, 200) : signUp(r)) : notFound(r);
            case "signout":
                return post && parts.length == 1 ? signOut(r) : notFound(r);
            default:
                return notFound(r);
        }
    }

    private Answer notFound(Request r) {
        return Answer.html(404, Html.problem(r, 404, "There is no page " + r.path() + " on this hub."));
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
            RentRequest request = new RentRequest(deviceId, hours, sshKey, maxPrice, deposit, template, passwordSha256);
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

    private Answer rentals(Request r, String[] parts, boolean get) {
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
            return notFound(r);
        }
        String name = parts[1];
        RentalView rental = rentalOf(account, name);
        String action = parts.length == 3 ? parts[2] : "";
        switch (action) {
            case "":
                return get
                        ? Answer.html(200, RenterPages.rental(r, rental, status(account, rental), null))
                        : notFound(r);
            case "status":
                return get ? Answer.json(200, statusJson(account, rental)) : notFound(r);
            case "voucher":
                return get ? notFound(r) : voucher(r, account, rental);
            case "extend":
                return get ? notFound(r) : extend(r, account, rental);
            case "end":
                if (get) {
                    return notFound(r);
                }
                services.rentals().end(account.renterKey(), name);
                LOG.info("rental {} ended from the web pages ({})", name, account.name());
                return Answer.redirect("/rentals/" + name);
            default:
                return notFound(r);
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
            RentalView rental,
            ChannelStatus channel,
            String voucherKey,
            WipeRecord wipe,
            String sshCommand,
            long ahead) {}

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
        return new RentalStatus(
                rental, channel, voucherKey, wipe, ssh, channel.prices().forSeconds(PAY_AHEAD.toSeconds()));
    }

    /** How far ahead of what is due the page's vouchers promise: two minutes, as `edgerent pay` does at its default. */
    static final Duration PAY_AHEAD = Duration.ofMinutes(2);

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

    // ---- accounts
    // --------------------------------------------------------------------------------------------------------

    private Answer signInPage(Request r, String error, int status) {
        return Answer.html(status, AccountPages.signIn(r, error));
    }

    private Answer signUpPage(Request r, String error, int status) {
        return Answer.html(status, AccountPages.signUp(r, r.param("invite"), error));
    }

    private Answer signIn(Request r) {
        String name = r.param("name") == null ? "" : r.param("name").strip();
        // Per address and name: guessing one account's password from one address is held off, and nobody else's
        // sign-in.
        String key = r.client() + " " + name;
        Optional<Answer> held = heldOff(r, key);
        if (held.isPresent()) {
            return held.get();
        }
        Optional<Accounts.Account> account = accounts.check(name, r.param("password"));
        if (account.isEmpty()) {
            return signInPage(r, "That name and password do not match an account.", 401);
        }
        penalties.succeeded(key);
        String next = r.param("next");
        return startSession(
                r, account.get(), next != null && next.matches("/([a-z0-9-][a-z0-9/-]*)?") ? next : "/rentals");
    }

    /** The command line's one-time link, confirmed with a button (a link alone must not sign a browser in). */
    private Answer keySignIn(Request r) {
        String key = r.client() + " sign-in link";
        Optional<Answer> held = heldOff(r, key);
        if (held.isPresent()) {
            return held.get();
        }
        Optional<Accounts.Account> account = accounts.redeem(r.param("code"));
        if (account.isEmpty()) {
            return signInPage(
                    r,
                    "That sign-in link is used, expired (it works for " + Accounts.SIGN_IN_CODE_LIFETIME.toMinutes()
                            + " minutes) or wrong; run `edgerent web` again.",
                    401);
        }
        penalties.succeeded(key);
        return startSession(r, account.get(), "/rentals");
    }

    /** A sign-in attempt under {@code key}, refused unchecked (429) while its failures hold it off (see {@link AuthPenalties}). */
    private Optional<Answer> heldOff(Request r, String key) {
        Duration wait = penalties.attempt(key);
        if (wait.isZero()) {
            return Optional.empty();
        }
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        return Optional.of(signInPage(
                        r,
                        "Too many failed sign-ins from your address: try again in " + seconds
                                + (seconds == 1 ? " second." : " seconds."),
                        429)
                .with("Retry-After", String.valueOf(seconds)));
    }

    private Answer signUp(Request r) {
        String name = r.param("name") == null ? "" : r.param("name").strip();
        String password = r.param("password");
        if (password == null || !password.equals(r.param("password2"))) {
            return signUpPage(r, "The two passwords differ.", 422);
        }
        try {
            Accounts.Account account = accounts.signUp(name, password, r.param("invite"));
            LOG.info(
                    "web account {} signed up{}",
                    account.name(),
                    account.owner() == null ? "" : " as owner " + account.owner());
            return startSession(r, account, account.owner() != null ? "/owner" : "/");
        } catch (RefusedException e) {
            return signUpPage(r, e.getMessage(), status(e.code()));
        }
    }

    private Answer startSession(Request r, Accounts.Account account, String next) {
        r.session().ifPresent(s -> accounts.closeSession(s.cookie()));
        Accounts.Session session = accounts.openSession(account);
        return Answer.redirect(next)
                .with("Set-Cookie", sessionCookie(r.https(), session.cookie(), Accounts.SESSION_LIFETIME.toSeconds()));
    }

    private Answer signOut(Request r) {
        r.session().ifPresent(s -> accounts.closeSession(s.cookie()));
        return Answer.redirect("/").with("Set-Cookie", sessionCookie(r.https(), "", 0));
    }

    private static String sessionCookie(boolean https, String value, long maxAgeSeconds) {
        return (https ? SECURE_SESSION_COOKIE : SESSION_COOKIE) + "=" + value
                + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + maxAgeSeconds + (https ? "; Secure" : "");
    }

    private Accounts.Account signedIn(Request r) {
        return r.account().orElseThrow(() -> new SignInNeeded());
    }

    /** A page that needs an account, asked for without one: the answer is the sign-in page. */
    private static final class SignInNeeded extends RefusedException {
        SignInNeeded() {
            super(ErrorCode.UNAUTHORIZED, "Sign in to see this page.");
        }
    }

    /** A request refused with an HTTP status that has no CoAP counterpart. */
    private static final class WebRefusal extends RuntimeException {
        final int status;

        WebRefusal(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** Refuses a POST without the token of its session (or, before signing in, of its form cookie), or from another origin. */
    private void requireFormToken(Request r) {
        String origin = r.exchange().getRequestHeaders().getFirst("Origin");
        String host = r.exchange().getRequestHeaders().getFirst("Host");
        if (origin != null && !origin.equals("null") && !origin.equals((r.https() ? "https://" : "http://") + host)) {
            throw new RefusedException(
                    ErrorCode.FORBIDDEN, "This form was sent from another site (" + origin + "); nothing was done.");
        }
        String sent = r.form().get("csrf");
        if (sent == null) {
            sent = r.exchange().getRequestHeaders().getFirst("X-CSRF-Token");
        }
        String expected = r.csrf();
        if (sent == null
                || expected == null
                || !MessageDigest.isEqual(
                        sent.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            throw new RefusedException(
                    ErrorCode.FORBIDDEN,
                    "This form's security token is missing or out of date (was it sent"
                            + " from another site, or before signing in again?). Nothing was done; reload the page and try again.");
        }
    }

    // ---- HTTP
    // ------------------------------------------------------------------------------------------------------------

    private Request read(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        Map<String, String> query = decodeForm(exchange.getRequestURI().getRawQuery());
        Map<String, String> form = Map.of();
        if (method.equals("POST")) {
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
                throw new WebRefusal(415, "These pages take forms (application/x-www-form-urlencoded).");
            }
            form = decodeForm(new String(readBody(exchange.getRequestBody()), StandardCharsets.UTF_8));
        }
        Map<String, String> cookies = cookies(exchange);
        boolean https = "https".equals(exchange.getRequestHeaders().getFirst("X-Forwarded-Proto"));
        Optional<Accounts.Session> session =
                accounts.session(cookies.get(https ? SECURE_SESSION_COOKIE : SESSION_COOKIE));
        String formToken = cookies.get(FORM_COOKIE);
        if (session.isEmpty() && (formToken == null || formToken.length() != 43)) {
            // A visitor not signed in gets a token for the sign-in and sign-up forms, in a cookie those forms repeat.
            formToken = Accounts.randomToken();
            exchange.getResponseHeaders()
                    .add(
                            "Set-Cookie",
                            FORM_COOKIE + "=" + formToken + "; Path=/; HttpOnly; SameSite=Lax"
                                    + (https ? "; Secure" : ""));
        }
        return new Request(method, path, query, form, session, https, clientAddress(exchange), formToken, exchange);
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
            throw new WebRefusal(413, "A form is at most " + MAX_BODY / 1024 + " KiB.");
        }
        return body;
    }

    /** The client as the router saw it: the last address it appended to X-Forwarded-For. */
    private static String clientAddress(HttpExchange exchange) {
        String forwarded = exchange.getRequestHeaders().getFirst("X-Forwarded-For");
        if (forwarded == null) {
            return exchange.getRemoteAddress().getAddress().getHostAddress();
        }
        return forwarded.substring(forwarded.lastIndexOf(',') + 1).strip();
    }

    static Map<String, String> decodeForm(String raw) {
        Map<String, String> values = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (values.putIfAbsent(key, value) != null) {
                throw new RefusedException(ErrorCode.BAD_REQUEST, "The field '" + key + "' was sent twice.");
            }
        }
        return values;
    }

    private static Map<String, String> cookies(HttpExchange exchange) {
        Map<String, String> cookies = new HashMap<>();
        for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String c : header.split(";")) {
                int eq = c.indexOf('=');
                if (eq > 0) {
                    cookies.putIfAbsent(
                            c.substring(0, eq).strip(), c.substring(eq + 1).strip());
                }
            }
        }
        return cookies;
    }

    private static int wholeNumber(String text, String what, int min, int max) {
        return (int) wholeNumber(text, what, (long) min, (long) max);
    }

    private static long wholeNumber(String text, String what, long min, long max) {
        if (text == null || !text.strip().matches("[0-9]{1,19}")) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, what + " must be a whole number from " + min + " to " + max);
        }
        try {
            long n = Long.parseLong(text.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // too large: the same answer as out of range
        }
        throw new RefusedException(ErrorCode.BAD_REQUEST, what + " must be a whole number from " + min + " to " + max);
    }

    private static byte[] hexBytes(String text, int length, String whenMissing) {
        if (text == null || text.isEmpty()) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, whenMissing);
        }
        if (!text.matches("[0-9a-f]{" + 2 * length + "}")) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "expected " + 2 * length + " lower-case hex digits");
        }
        return HEX.parseHex(text);
    }

    private static Answer asset(String name) {
        String type = switch (name) {
            case "app.css" -> "text/css; charset=utf-8";
            case "app.js" -> "text/javascript; charset=utf-8";
            default -> null;
        };
        if (type == null) {
            return Answer.html(404, "<!doctype html><title>Not found</title><p>No such asset.</p>");
        }
        try (InputStream in = WebUi.class.getResourceAsStream("/web/" + name)) {
            return new Answer(200, type, in.readAllBytes(), new ArrayList<>()).with("Cache-Control", "max-age=300");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int status(ErrorCode code) {
        return switch (code) {
            case BAD_REQUEST -> 400;
            case UNAUTHORIZED -> 401;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case PRECONDITION_FAILED -> 412;
            case UNPROCESSABLE -> 422;
            case UNAVAILABLE -> 503;
            default -> 500;
        };
    }

    private static void send(HttpExchange exchange, Answer answer) throws IOException {
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", answer.type());
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "same-origin");
        h.set("X-Frame-Options", "DENY");
        h.set(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                        + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        if (!h.containsKey("Cache-Control") && answer.headers().stream().noneMatch(x -> x[0].equals("Cache-Control"))) {
            h.set("Cache-Control", "no-store");
        }
        for (String[] header : answer.headers()) {
            h.add(header[0], header[1]);
        }
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(answer.status(), head || answer.body().length == 0 ? -1 : answer.body().length);
        if (!head && answer.body().length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer.body());
            }
        }
    }
}
