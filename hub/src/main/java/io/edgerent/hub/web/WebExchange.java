package io.edgerent.hub.web;

import io.edgerent.hub.account.Accounts;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pages' side of HTTP: a request as the pages see it (its session, form, and the client address and scheme the
 * router saw on the connection itself), an answer and how it is sent (with the headers every page carries), forms and
 * cookies decoded strictly, and the refusals a request can meet before a page runs.
 */
final class WebExchange {
    private WebExchange() {}

    static final String SESSION_COOKIE = "edgerent_session";
    /** Over HTTPS the cookie takes the __Host- prefix: no rental's page under the hub's domain can set or widen it. */
    static final String SECURE_SESSION_COOKIE = "__Host-edgerent_session";

    static final String FORM_COOKIE = "edgerent_form";
    /** The same prefix for the form token before signing in: a rental's page cannot plant a token it knows. */
    static final String SECURE_FORM_COOKIE = "__Host-edgerent_form";

    static final int MAX_BODY = 64 * 1024;
    /** Voucher keys and SHA-256 hashes arrive as hex. */
    static final HexFormat HEX = HexFormat.of();

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
            Map<String, List<String>> headers,
            List<String[]> setCookies) {
        /** The first value of a header, or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

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

    /** A page that needs an account, asked for without one: the answer is the sign-in page. */
    static final class SignInNeeded extends RefusedException {
        SignInNeeded() {
            super(ErrorCode.UNAUTHORIZED, "Sign in to see this page.");
        }
    }

    /** A request refused with an HTTP status that has no CoAP counterpart. */
    static final class WebRefusal extends RuntimeException {
        final int status;

        WebRefusal(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** Refuses a POST without the token of its session (or, before signing in, of its form cookie), or from another origin. */
    static void requireFormToken(Request r) {
        String origin = r.header("Origin");
        String host = r.header("Host");
        if (origin != null && !origin.equals("null") && !origin.equals((r.https() ? "https://" : "http://") + host)) {
            throw new RefusedException(
                    ErrorCode.FORBIDDEN, "This form was sent from another site (" + origin + "); nothing was done.");
        }
        String sent = r.form().get("csrf");
        if (sent == null) {
            sent = r.header("X-CSRF-Token");
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

    static String sessionCookie(boolean https, String value, long maxAgeSeconds) {
        return (https ? SECURE_SESSION_COOKIE : SESSION_COOKIE) + "=" + value
                + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + maxAgeSeconds + (https ? "; Secure" : "");
    }

    static Request read(
            String method,
            String uri,
            Map<String, List<String>> headers,
            byte[] body,
            boolean https,
            String client,
            Accounts accounts) {
        URI target;
        try {
            target = new URI(uri);
        } catch (URISyntaxException e) {
            throw new WebRefusal(400, "The address of this request is not valid.");
        }
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        Map<String, String> query = decodeForm(target.getRawQuery());
        Map<String, String> form = Map.of();
        List<String[]> setCookies = new ArrayList<>();
        Map<String, String> cookies = cookies(headers.getOrDefault("cookie", List.of()));
        Optional<Accounts.Session> session =
                accounts.session(cookies.get(https ? SECURE_SESSION_COOKIE : SESSION_COOKIE));
        String formCookie = https ? SECURE_FORM_COOKIE : FORM_COOKIE;
        String formToken = cookies.get(formCookie);
        if (session.isEmpty() && (formToken == null || formToken.length() != 43)) {
            // A visitor not signed in gets a token for the sign-in and sign-up forms, in a cookie those forms repeat.
            formToken = Accounts.randomToken();
            setCookies.add(new String[] {
                "Set-Cookie",
                formCookie + "=" + formToken + "; Path=/; HttpOnly; SameSite=Lax" + (https ? "; Secure" : "")
            });
        }
        Request request =
                new Request(method, path, query, form, session, https, client, formToken, headers, setCookies);
        if (method.equals("POST")) {
            String type = request.header("Content-Type");
            if (type == null || !type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
                throw new WebRefusal(415, "These pages take forms (application/x-www-form-urlencoded).");
            }
            if (body.length > MAX_BODY) {
                throw new WebRefusal(413, "A form is at most " + MAX_BODY / 1024 + " KiB.");
            }
            form = decodeForm(new String(body, StandardCharsets.UTF_8));
            request = new Request(method, path, query, form, session, https, client, formToken, headers, setCookies);
        }
        return request;
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

    static Map<String, String> cookies(List<String> cookieHeaders) {
        Map<String, String> cookies = new HashMap<>();
        for (String header : cookieHeaders) {
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

    static int wholeNumber(String text, String what, int min, int max) {
        return (int) wholeNumber(text, what, (long) min, (long) max);
    }

    static long wholeNumber(String text, String what, long min, long max) {
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

    static byte[] hexBytes(String text, int length, String whenMissing) {
        if (text == null || text.isEmpty()) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, whenMissing);
        }
        if (!text.matches("[0-9a-f]{" + 2 * length + "}")) {
            throw new RefusedException(ErrorCode.BAD_REQUEST, "expected " + 2 * length + " lower-case hex digits");
        }
        return HEX.parseHex(text);
    }

    static Answer asset(String name) {
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

    static int status(ErrorCode code) {
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

    /**
     * The answer as sent: with the headers every page carries, and the form cookie a new visitor gets. {@code hsts}
     * when the hub serves HTTPS with a certificate browsers trust (the operator's): browsers then keep to HTTPS for
     * the hub's pages, so a sign-in code or session cookie is never sent in the clear after a first visit.
     */
    static WebUi.Reply reply(Request request, Answer answer, boolean hsts) {
        List<String[]> h = new ArrayList<>();
        h.add(new String[] {"Content-Type", answer.type()});
        h.add(new String[] {"X-Content-Type-Options", "nosniff"});
        h.add(new String[] {"Referrer-Policy", "same-origin"});
        h.add(new String[] {"X-Frame-Options", "DENY"});
        h.add(new String[] {
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                    + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        });
        if (answer.headers().stream().noneMatch(x -> x[0].equals("Cache-Control"))) {
            h.add(new String[] {"Cache-Control", "no-store"});
        }
        if (request != null) {
            h.addAll(request.setCookies());
            if (hsts && request.https()) {
                h.add(new String[] {"Strict-Transport-Security", "max-age=31536000"});
            }
        }
        h.addAll(answer.headers());
        return new WebUi.Reply(answer.status(), h, answer.body());
    }

    /** The account a page needs; without one the answer is the sign-in page ({@link SignInNeeded}). */
    static Accounts.Account signedIn(Request r) {
        return r.account().orElseThrow(() -> new SignInNeeded());
    }

    static Answer notFound(Request r) {
        return Answer.html(404, Html.problem(r, 404, "There is no page " + r.path() + " on this hub."));
    }
}
