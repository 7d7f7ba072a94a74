package io.edgerent.hub.web;

import static io.edgerent.hub.web.Html.TIME;
import static io.edgerent.hub.web.Html.csrf;
import static io.edgerent.hub.web.Html.esc;
import static io.edgerent.hub.web.Html.fact;
import static io.edgerent.hub.web.Html.jsonText;
import static io.edgerent.hub.web.Html.layout;
import static io.edgerent.hub.web.Html.templateName;
import static io.edgerent.hub.web.Html.timeLeft;
import static io.edgerent.hub.web.Html.wipe;

import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Statement;
import java.time.Instant;
import java.util.List;

/** A renter's pages: their rentals and wallet, one rental with its live status, and the status the page's script reads. What came from outside is escaped on the way in ({@link Html#esc}). */
final class RenterPages {
    private RenterPages() {}

    static String myRentals(WebExchange.Request r, List<RentalView> rentals, Statement wallet, String publicHost) {
        StringBuilder b = new StringBuilder("<h1>My rentals</h1>\n");
        b.append(
                        "<section aria-labelledby=\"walletTitle\"><h2 id=\"walletTitle\">Wallet</h2><p>Balance: <strong id=\"walletBalance\">")
                .append(wallet.balance())
                .append("</strong></p><p class=\"note\">Your wallet is <code id=\"walletAccount\">")
                .append(esc(wallet.account()))
                .append("</code>. The hub operator records money you send them with <code>edgerent wallet"
                        + " deposit ")
                .append(esc(wallet.account()))
                .append(" AMOUNT --ref TEXT</code>.</p></section>\n");
        if (rentals.isEmpty()) {
            b.append("<p>No rentals yet. <a href=\"/\">Find a device</a>.</p>\n");
        } else {
            b.append(
                    "<div class=\"scroll\"><table class=\"rentals\"><thead><tr><th scope=\"col\">Rental</th><th scope=\"col\">Device</th>"
                            + "<th scope=\"col\">State</th><th scope=\"col\">Ends</th><th scope=\"col\">Web</th></tr></thead><tbody>\n");
            for (RentalView v : newestFirst(rentals)) {
                b.append("<tr data-rental=\"")
                        .append(esc(v.name()))
                        .append("\"><td><a href=\"/rentals/")
                        .append(esc(v.name()))
                        .append("\">")
                        .append(esc(v.name()))
                        .append("</a></td><td>")
                        .append(esc(v.deviceId()))
                        .append("</td><td>")
                        .append(esc(v.state()))
                        .append("</td><td>")
                        .append(TIME.format(Instant.ofEpochMilli(v.endsAt())))
                        .append("</td><td>")
                        .append(
                                v.state().equals(RentalView.ACTIVE)
                                        ? "<a href=\"" + esc(v.httpUrl()) + "\">" + esc(v.httpUrl()) + "</a>"
                                        : "")
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        return layout(r, "My rentals", b.toString());
    }

    static String rental(WebExchange.Request r, RentalView v, MyRentals.RentalStatus s, String error) {
        ChannelStatus c = s.channel();
        boolean active = v.state().equals(RentalView.ACTIVE);
        boolean open = v.state().equals(RentalView.PREPARING) || active;
        StringBuilder b = new StringBuilder();
        b.append("<h1>Rental ").append(esc(v.name())).append("</h1>\n");
        if (error != null) {
            b.append("<p class=\"error\" role=\"alert\">").append(esc(error)).append("</p>\n");
        }
        b.append("<section id=\"rental\" data-rental=\"")
                .append(esc(v.name()))
                .append("\" data-voucher-key=\"")
                .append(esc(s.voucherKey()))
                .append("\" data-csrf=\"")
                .append(esc(r.csrf()))
                .append("\" data-state=\"")
                .append(esc(v.state()))
                .append("\">\n");
        b.append("<p>State: <strong id=\"state\">").append(esc(stateText(v, c))).append("</strong></p>\n");
        b.append("<p id=\"preparing\" role=\"status\"")
                .append(v.state().equals(RentalView.PREPARING) ? "" : " hidden")
                .append(
                        "><progress aria-label=\"Preparing the container\"></progress> The device is preparing your container;"
                                + " the ssh command appears here as soon as it is ready.</p>\n");
        b.append("<div id=\"access\"")
                .append(active ? "" : " hidden")
                .append(">\n<p><label for=\"sshCommand\">SSH command</label>"
                        + "<input id=\"sshCommand\" readonly value=\"")
                .append(esc(s.sshCommand()))
                .append("\"></p>\n<p>Web: <a id=\"httpUrl\" href=\"")
                .append(esc(v.httpUrl()))
                .append("\">")
                .append(esc(v.httpUrl()))
                .append("</a></p>\n</div>\n");
        b.append("<dl class=\"facts\">")
                .append(fact("Device", v.deviceId()))
                .append(fact("Template", templateName(v.template())))
                .append("<dt>Time left</dt><dd id=\"timeLeft\" data-ends-at=\"")
                .append(v.endsAt())
                .append("\">")
                .append(open ? timeLeft(v.endsAt() - System.currentTimeMillis()) : "none")
                .append("</dd>")
                .append(fact("Ends", TIME.format(Instant.ofEpochMilli(v.endsAt()))))
                .append("<dt>Paid so far</dt><dd id=\"paid\">")
                .append(c.paid())
                .append("</dd>")
                .append("<dt>Due so far</dt><dd id=\"due\">")
                .append(c.due())
                .append("</dd>")
                .append("<dt>Deposit</dt><dd id=\"deposit\">")
                .append(c.deposit())
                .append("</dd>")
                .append("<dt>Balance (deposit − paid)</dt><dd id=\"balance\">")
                .append(c.deposit() - c.paid())
                .append("</dd>")
                .append(fact(
                        "Price",
                        c.prices().perHour() + " per hour, " + c.prices().perGb() + " per GB sent"))
                .append(fact(
                        "Egress",
                        c.egressBytes() + " bytes sent, of the " + c.maxEgressBytes()
                                + " you agreed to pay for (the rental ends there)"));
        if (!c.note().isEmpty()) {
            b.append(fact("Note", c.note()));
        }
        if (c.settled()) {
            b.append(fact(
                    "Settled",
                    "owner " + c.ownerShare() + ", hub fee " + c.hubFee() + ", refunded to your wallet " + c.refund()));
        }
        b.append("</dl>\n");
        if (open) {
            b.append("<p id=\"payment\" role=\"status\">")
                    .append(
                            s.voucherKey().isEmpty()
                                    ? "Payments: from the command line (<code>edgerent rent</code> streams them, or <code>edgerent pay "
                                            + esc(v.name()) + "</code>); this page does not sign them."
                                    : "Payments: this page signs them in the browser, one a minute while it is open. Close it and the rental is"
                                            + " suspended once payment lags, and ends if it stays unpaid; <code>edgerent pay</code> cannot pay it,"
                                            + " the key is this browser's.")
                    .append("</p>\n");
            b.append("<form method=\"post\" action=\"/rentals/")
                    .append(esc(v.name()))
                    .append("/extend\" class=\"inline\">")
                    .append(csrf(r))
                    .append(
                            "<label for=\"extendHours\">More hours</label><input id=\"extendHours\" name=\"hours\" type=\"number\" min=\"1\""
                                    + " max=\"744\" value=\"1\" required><button type=\"submit\">Extend</button>"
                                    + " <span class=\"note\">(the deposit grows by the price × the hours, from your wallet)</span></form>\n");
            b.append("<form method=\"post\" action=\"/rentals/")
                    .append(esc(v.name()))
                    .append("/end\" class=\"inline\">")
                    .append(csrf(r))
                    .append(
                            "<button type=\"submit\" id=\"endButton\" class=\"danger\">End the rental now</button></form>\n");
        }
        b.append("</section>\n");
        if (v.state().equals(RentalView.ENDED)) {
            b.append(wipe(s.wipe()));
        }
        return layout(r, "Rental " + v.name(), b.toString());
    }

    /** What the rental page's script reads every few seconds. */
    static String statusJson(MyRentals.RentalStatus s, String hubKey) {
        RentalView v = s.rental();
        ChannelStatus c = s.channel();
        StringBuilder b = new StringBuilder("{");
        b.append("\"name\":")
                .append(jsonText(v.name()))
                .append(",\"state\":")
                .append(jsonText(v.state()))
                .append(",\"endsAt\":")
                .append(v.endsAt())
                .append(",\"sshCommand\":")
                .append(jsonText(s.sshCommand()))
                .append(",\"httpUrl\":")
                .append(jsonText(v.httpUrl()))
                .append(",\"hubKey\":")
                .append(jsonText(hubKey))
                .append(",\"deposit\":")
                .append(c.deposit())
                .append(",\"due\":")
                .append(c.due())
                .append(",\"paid\":")
                .append(c.paid())
                .append(",\"seq\":")
                .append(c.lastSequence())
                .append(",\"perHour\":")
                .append(c.prices().perHour())
                .append(",\"perGb\":")
                .append(c.prices().perGb())
                .append(",\"maxEgress\":")
                .append(c.maxEgressBytes())
                .append(",\"note\":")
                .append(jsonText(c.note()))
                .append(",\"paused\":")
                .append(c.paused())
                .append(",\"settled\":")
                .append(c.settled())
                .append(",\"refund\":")
                .append(c.refund())
                .append(",\"voucherKey\":")
                .append(jsonText(s.voucherKey()))
                .append(",\"wiped\":")
                .append(s.wipe() != null)
                .append('}');
        return b.toString();
    }

    static List<RentalView> newestFirst(List<RentalView> rentals) {
        List<RentalView> reversed = new java.util.ArrayList<>(rentals);
        java.util.Collections.reverse(reversed);
        return reversed;
    }

    static String stateText(RentalView v, ChannelStatus c) {
        return switch (v.state()) {
            case RentalView.PREPARING -> "preparing";
            case RentalView.ACTIVE -> c.paused() ? "suspended (payment stopped)" : "running";
            case RentalView.ENDING -> "ending";
            default -> "ended";
        };
    }
}
