package io.edgerent.hub.web;

import static io.edgerent.hub.web.Html.TIME;
import static io.edgerent.hub.web.Html.esc;
import static io.edgerent.hub.web.Html.layout;
import static io.edgerent.hub.web.Html.status;
import static io.edgerent.hub.web.Html.uptime;

import io.edgerent.hub.payment.Books;
import io.edgerent.protocol.Earnings;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.WipeRecord;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The owner's dashboard: devices, current rentals, earnings and income per day, the latest wipes. What came from outside is escaped on the way in ({@link Html#esc}). */
final class OwnerPages {
    private OwnerPages() {}

    static String owner(
            WebExchange.Request r,
            String owner,
            List<Listing> devices,
            List<Books.OwnerRental> rentals,
            Earnings earnings,
            List<Books.DayIncome> income,
            List<WipeRecord> wipes,
            long now) {
        StringBuilder b = new StringBuilder("<h1>Owner ").append(esc(owner)).append("</h1>\n");
        b.append("<section aria-labelledby=\"devicesTitle\"><h2 id=\"devicesTitle\">Devices</h2>\n");
        if (devices.isEmpty()) {
            b.append("<p>No devices yet. The hub operator makes registration tokens with <code>edgerent token --owner ")
                    .append(esc(owner))
                    .append("</code>.</p>\n");
        } else {
            b.append(
                    "<div class=\"scroll\"><table class=\"devices\"><thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Status</th>"
                            + "<th scope=\"col\">Uptime 30 d</th><th scope=\"col\">Price / hour</th><th scope=\"col\">Region</th>"
                            + "<th scope=\"col\">Model</th></tr></thead><tbody>\n");
            for (Listing l : devices) {
                b.append("<tr data-device=\"")
                        .append(esc(l.deviceId()))
                        .append("\"><td>")
                        .append(esc(l.deviceId()))
                        .append("</td><td>")
                        .append(esc(status(l)))
                        .append(
                                l.flagged().isEmpty()
                                        ? ""
                                        : "<br><span class=\"error\">flagged: its usage report was refused as impossible ("
                                                + esc(l.flagged()) + ")</span>")
                        .append("</td><td class=\"n\">")
                        .append(uptime(l))
                        .append("</td><td class=\"n\">")
                        .append(l.prices().perHour())
                        .append("</td><td>")
                        .append(esc(l.region()))
                        .append("</td><td>")
                        .append(esc(l.facts().model()))
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        b.append("<p class=\"note\">Prices, limits, templates and hours are set on each device, in the Kura web UI (or"
                + " <code>edgerent device</code>'s settings).</p></section>\n");
        b.append("<section aria-labelledby=\"rentalsTitle\"><h2 id=\"rentalsTitle\">Current rentals</h2>\n");
        if (rentals.isEmpty()) {
            b.append("<p>None now.</p>\n");
        } else {
            b.append(
                    "<div class=\"scroll\"><table class=\"current\"><thead><tr><th scope=\"col\">Rental</th><th scope=\"col\">Device</th>"
                            + "<th scope=\"col\">State</th><th scope=\"col\">Started</th><th scope=\"col\">Ends</th><th scope=\"col\">Paid</th>"
                            + "<th scope=\"col\">Due</th></tr></thead><tbody>\n");
            for (Books.OwnerRental o : rentals) {
                b.append("<tr data-rental=\"")
                        .append(esc(o.name()))
                        .append("\"><td>")
                        .append(esc(o.name()))
                        .append("</td><td>")
                        .append(esc(o.deviceId()))
                        .append("</td><td>")
                        .append(esc(o.state() + (o.paused() ? ", suspended" : "")))
                        .append("</td><td>")
                        .append(TIME.format(Instant.ofEpochMilli(o.createdAt())))
                        .append("</td><td>")
                        .append(TIME.format(Instant.ofEpochMilli(o.endsAt())))
                        .append("</td><td class=\"n\">")
                        .append(o.paid())
                        .append("</td><td class=\"n\">")
                        .append(o.due())
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        b.append(
                        "</section>\n<section aria-labelledby=\"earningsTitle\"><h2 id=\"earningsTitle\">Earnings</h2>\n<p>Balance: <strong"
                                + " id=\"earningsBalance\">")
                .append(earnings.balance())
                .append("</strong> (settled income after the hub's fee)</p>\n");
        b.append(chart(income, now));
        if (!earnings.devices().isEmpty()) {
            b.append(
                    "<div class=\"scroll\"><table class=\"earnings\"><thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Earned</th>"
                            + "<th scope=\"col\">Settled rentals</th></tr></thead><tbody>\n");
            for (Earnings.PerDevice d : earnings.devices()) {
                b.append("<tr data-device=\"")
                        .append(esc(d.deviceId()))
                        .append("\"><td>")
                        .append(esc(d.deviceId()))
                        .append("</td><td class=\"n\">")
                        .append(d.amount())
                        .append("</td><td class=\"n\">")
                        .append(d.rentals())
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        b.append("</section>\n<section aria-labelledby=\"wipesTitle\"><h2 id=\"wipesTitle\">Recent wipes</h2>\n");
        if (wipes.isEmpty()) {
            b.append("<p>None yet.</p>\n");
        } else {
            b.append("<ul class=\"wipes\">\n");
            for (WipeRecord w : wipes) {
                b.append("<li data-rental=\"")
                        .append(esc(w.rental()))
                        .append("\">")
                        .append(esc(w.rental()))
                        .append(": ")
                        .append(esc(w.method()))
                        .append(", ")
                        .append(w.verified() ? "verified" : "<strong>not verified</strong>")
                        .append(", ")
                        .append(TIME.format(Instant.ofEpochMilli(w.finishedAt())))
                        .append("</li>\n");
            }
            b.append("</ul>\n");
        }
        b.append("</section>\n");
        return layout(r, "Owner " + owner, b.toString());
    }

    /** Income per day over 30 days as bars, drawn on the server (no script, no library). */
    static String chart(List<Books.DayIncome> income, long now) {
        long today = Math.floorDiv(now, 86_400_000L);
        Map<Long, Long> byDay = new HashMap<>();
        income.forEach(d -> byDay.put(d.day(), d.amount()));
        long max = Math.max(
                1, byDay.values().stream().mapToLong(Long::longValue).max().orElse(0));
        int width = 600;
        int height = 160;
        int bar = width / 30;
        StringBuilder b = new StringBuilder("<figure class=\"chart\"><svg id=\"incomeChart\" viewBox=\"0 0 ")
                .append(width)
                .append(' ')
                .append(height + 20)
                .append("\" role=\"img\" aria-label=\"Income per day over the last 30 days; the highest day ")
                .append(max)
                .append("\">");
        for (int i = 0; i < 30; i++) {
            long day = today - 29 + i;
            long amount = byDay.getOrDefault(day, 0L);
            int h = (int) (amount * height / max);
            b.append("<rect x=\"")
                    .append(i * bar + 1)
                    .append("\" y=\"")
                    .append(height - h)
                    .append("\" width=\"")
                    .append(bar - 2)
                    .append("\" height=\"")
                    .append(Math.max(h, amount > 0 ? 1 : 0))
                    .append("\" data-day=\"")
                    .append(LocalDate.ofEpochDay(day))
                    .append("\" data-amount=\"")
                    .append(amount)
                    .append("\"><title>")
                    .append(LocalDate.ofEpochDay(day))
                    .append(": ")
                    .append(amount)
                    .append("</title></rect>");
        }
        b.append("<text x=\"0\" y=\"")
                .append(height + 16)
                .append("\">")
                .append(LocalDate.ofEpochDay(today - 29))
                .append("</text>")
                .append("<text x=\"")
                .append(width)
                .append("\" y=\"")
                .append(height + 16)
                .append("\" text-anchor=\"end\">")
                .append(LocalDate.ofEpochDay(today))
                .append("</text></svg><figcaption>Income per day, last 30 days (highest: ")
                .append(max)
                .append(")</figcaption></figure>\n");
        return b.toString();
    }
}
