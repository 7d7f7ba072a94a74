package io.edgerent.hub.web;

import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.WipeRecord;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * What the pages share: the layout, forms' pieces, and escaping. Everything that came from outside (device facts,
 * owner names, regions, SSH keys, wipe steps, error messages) is escaped on the way in. The pages work without
 * JavaScript for browsing and reading; /assets/app.js adds the live rental status and signs the payment vouchers.
 */
final class Html {
    static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private Html() {}

    static String problem(WebExchange.Request r, int status, String message) {
        String body = "<h1>" + status + "</h1>\n<p class=\"error\" role=\"alert\">" + esc(message)
                + "</p>\n<p><a href=\"/\">The market</a></p>\n";
        return r == null ? "<!doctype html><title>" + status + "</title>" + body : layout(r, "Error " + status, body);
    }

    static String layout(WebExchange.Request r, String title, String body) {
        StringBuilder b = new StringBuilder();
        b.append(
                        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,"
                                + " initial-scale=1\"><title>")
                .append(esc(title))
                .append(" · edgerent</title><link rel=\"stylesheet\" href=\"/assets/app.css\">"
                        + "<script src=\"/assets/app.js\" defer></script></head>\n<body>\n<header><a class=\"brand\" href=\"/\">edgerent</a>"
                        + "<nav aria-label=\"Main\"><a href=\"/\">Market</a>");
        if (r.account().isPresent()) {
            b.append("<a href=\"/rentals\">My rentals</a>");
            if (r.account().get().owner() != null) {
                b.append("<a href=\"/owner\">Dashboard</a>");
            }
            b.append("<form method=\"post\" action=\"/signout\" class=\"signout\">")
                    .append(csrf(r))
                    .append("<button type=\"submit\" class=\"link\">Sign out ")
                    .append(esc(r.account().get().name()))
                    .append("</button></form>");
        } else {
            b.append("<a href=\"/signin\">Sign in</a><a href=\"/signup\">Sign up</a>");
        }
        b.append("</nav></header>\n<main>\n").append(body).append("</main>\n</body></html>\n");
        return b.toString();
    }

    static String wipe(WipeRecord w) {
        StringBuilder b = new StringBuilder(
                "<section id=\"wipe\" aria-labelledby=\"wipeTitle\"><h2 id=\"wipeTitle\">Wipe record</h2>\n");
        if (w == null) {
            b.append(
                    "<p id=\"wipeWaiting\" role=\"status\">The device has not sent it yet: it does once your storage is erased."
                            + " This page shows it when it comes.</p>\n");
        } else {
            b.append("<p id=\"wipeVerdict\">")
                    .append(w.verified() ? "Erased and verified" : "<strong>Not verified</strong>")
                    .append(": ")
                    .append(esc(w.method()))
                    .append(", finished ")
                    .append(TIME.format(Instant.ofEpochMilli(w.finishedAt())))
                    .append("</p>\n<h3>Steps</h3><ol>");
            w.steps().forEach(s -> b.append("<li>").append(esc(s)).append("</li>"));
            b.append("</ol>\n<h3>Checks</h3><ol>");
            w.checks().forEach(s -> b.append("<li>").append(esc(s)).append("</li>"));
            b.append("</ol>\n");
        }
        return b.append("</section>\n").toString();
    }

    static String csrf(WebExchange.Request r) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(r.csrf()) + "\">";
    }

    static String fact(String term, String value) {
        return "<dt>" + esc(term) + "</dt><dd>" + esc(value) + "</dd>";
    }

    static String number(String id, String label, String value) {
        return "<p><label for=\"" + id + "\">" + esc(label) + "</label><input id=\"" + id + "\" name=\"" + id
                + "\" inputmode=\"numeric\"" + " value=\"" + esc(value) + "\"></p>\n";
    }

    static String select(String id, String label, String chosen, List<String> options) {
        StringBuilder b = new StringBuilder("<p><label for=\"" + id + "\">" + esc(label) + "</label><select id=\"" + id
                + "\" name=\"" + id + "\"><option value=\"\">any</option>");
        for (String o : options) {
            b.append("<option value=\"")
                    .append(esc(o))
                    .append('"')
                    .append(o.equals(chosen) ? " selected" : "")
                    .append('>')
                    .append(esc(o))
                    .append("</option>");
        }
        return b.append("</select></p>\n").toString();
    }

    static String status(Listing l) {
        return l.stale() ? "stale (its hub is not answering)" : l.availability();
    }

    static String templateName(Template t) {
        return switch (t) {
            case BASE -> "base (an SSH box)";
            case WEB -> "web (a static web server for /data/www)";
            case FILES -> "files (a password-guarded file host)";
        };
    }

    static String uptime(Listing l) {
        return l.uptimePermille() < 0 ? "unknown" : (l.uptimePermille() / 10) + "." + (l.uptimePermille() % 10) + " %";
    }

    static String gb(long bytes) {
        return String.format("%.1f", bytes / 1e9);
    }

    static String timeLeft(long millis) {
        if (millis <= 0) {
            return "none";
        }
        long minutes = millis / 60_000;
        return minutes >= 60 ? minutes / 60 + " h " + minutes % 60 + " min" : minutes + " min";
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    static String jsonText(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20 || ch == 0x2028 || ch == 0x2029) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.append('"').toString();
    }

    static String url(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
