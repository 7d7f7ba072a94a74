package io.edgerent.hub.web;

import static io.edgerent.hub.web.Html.csrf;
import static io.edgerent.hub.web.Html.esc;
import static io.edgerent.hub.web.Html.layout;

import io.edgerent.hub.account.Accounts;

/** Signing in (with a password or a one-time code from `edgerent web`) and signing up with an owner's invitation. What came from outside is escaped on the way in ({@link Html#esc}). */
final class AccountPages {
    private AccountPages() {}

    static String signIn(WebExchange.Request r, String error) {
        String next = r.param("next");
        StringBuilder b = new StringBuilder("<h1>Sign in</h1>\n");
        if (error != null) {
            b.append("<p class=\"error\" role=\"alert\">").append(esc(error)).append("</p>\n");
        }
        b.append("<form method=\"post\" action=\"/signin\" class=\"account\">").append(csrf(r));
        if (next != null) {
            b.append("<input type=\"hidden\" name=\"next\" value=\"")
                    .append(esc(next))
                    .append("\">");
        }
        b.append(
                "<p><label for=\"name\">Account name</label><input id=\"name\" name=\"name\" autocomplete=\"username\" required></p>\n"
                        + "<p><label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\""
                        + " autocomplete=\"current-password\" required></p>\n<p><button type=\"submit\">Sign in</button></p></form>\n"
                        + "<p>No account? <a href=\"/signup\">Sign up</a>.</p>\n");
        return layout(r, "Sign in", b.toString());
    }

    static String keySignIn(WebExchange.Request r, String code) {
        return layout(
                r,
                "Sign in",
                "<h1>Sign in with your edgerent key</h1>\n<p>This link came from <code>edgerent web</code>: it signs"
                        + " this browser into the account of that command line's renter key, where its rentals and wallet are.</p>\n"
                        + "<form method=\"post\" action=\"/signin/key\" class=\"account\">" + csrf(r)
                        + "<input type=\"hidden\" name=\"code\""
                        + " value=\"" + esc(code)
                        + "\"><p><button type=\"submit\" id=\"keySignIn\">Sign in</button></p></form>\n");
    }

    static String signUp(WebExchange.Request r, String invite, String error) {
        StringBuilder b = new StringBuilder("<h1>Sign up</h1>\n");
        if (error != null) {
            b.append("<p class=\"error\" role=\"alert\">").append(esc(error)).append("</p>\n");
        }
        b.append("<form method=\"post\" action=\"/signup\" class=\"account\">").append(csrf(r));
        if (invite != null && !invite.isEmpty()) {
            b.append("<input type=\"hidden\" name=\"invite\" value=\"")
                    .append(esc(invite))
                    .append(
                            "\">"
                                    + "<p class=\"note\">You sign up with an owner invitation: this account will see that owner's dashboard.</p>\n");
        }
        b.append(
                        "<p><label for=\"name\">Account name</label><input id=\"name\" name=\"name\" autocomplete=\"username\" required"
                                + " pattern=\"[a-z0-9][a-z0-9._-]{2,31}\" title=\"3 to 32 lower-case letters, digits, '.', '_' or '-'\"></p>\n"
                                + "<p><label for=\"password\">Password (at least ")
                .append(Accounts.MIN_PASSWORD)
                .append(
                        " characters)</label><input"
                                + " id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"")
                .append(Accounts.MIN_PASSWORD)
                .append(
                        "\" required></p>\n<p><label for=\"password2\">The password again</label><input"
                                + " id=\"password2\" name=\"password2\" type=\"password\" autocomplete=\"new-password\" required></p>\n"
                                + "<p><button type=\"submit\">Sign up</button></p></form>\n<p>Have an account? <a href=\"/signin\">Sign in</a>.</p>\n");
        return layout(r, "Sign up", b.toString());
    }
}
