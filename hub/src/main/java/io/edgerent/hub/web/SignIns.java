package io.edgerent.hub.web;

import static io.edgerent.hub.web.WebExchange.sessionCookie;
import static io.edgerent.hub.web.WebExchange.status;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.account.AuthPenalties;
import io.edgerent.hub.web.WebExchange.Answer;
import io.edgerent.hub.web.WebExchange.Request;
import io.edgerent.protocol.RefusedException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Signing in and out, and signing up: the sessions the pages run under, and the hold-off after failed sign-ins. */
final class SignIns {
    private static final Logger LOG = LoggerFactory.getLogger(SignIns.class);

    private final Accounts accounts;
    private final AuthPenalties penalties;

    SignIns(Accounts accounts, AuthPenalties penalties) {
        this.accounts = accounts;
        this.penalties = penalties;
    }

    Answer signInPage(Request r, String error, int status) {
        return Answer.html(status, AccountPages.signIn(r, error));
    }

    Answer signUpPage(Request r, String error, int status) {
        return Answer.html(status, AccountPages.signUp(r, r.param("invite"), error));
    }

    Answer signIn(Request r) {
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
    Answer keySignIn(Request r) {
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

    Answer signUp(Request r) {
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

    Answer signOut(Request r) {
        r.session().ifPresent(s -> accounts.closeSession(s.cookie()));
        return Answer.redirect("/").with("Set-Cookie", sessionCookie(r.https(), "", 0));
    }
}
