package io.edgerent.hub.web;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.market.MarketFilter;
import io.edgerent.hub.payment.Books;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.Earnings;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Statement;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.WipeRecord;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTML of the marketplace pages and the owner dashboard. Everything that came from outside
 * (device facts, owner names, regions, SSH keys, wipe steps, error messages) is escaped on the way in.
 * The pages work without JavaScript for browsing and reading; /assets/app.js adds the live rental
 * status and signs the payment vouchers.
 */
final class WebPages {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private WebPages() {}

    // ---- pages
    // -----------------------------------------------------------------------------------------------------------

    static String market(WebUi.Request r, MarketFilter f, List<Listing> all) {
        List<Listing> shown = f.apply(all);
        StringBuilder b = new StringBuilder();
        b.append("<h1>Devices for rent</h1>\n");
        for (String problem : f.problems()) {
            b.append("<p class=\"error\" role=\"alert\">").append(esc(problem)).append("</p>\n");
        }
        b.append("<form class=\"filters\" method=\"get\" action=\"/\" aria-label=\"Filter and sort the devices\">\n");
        b.append(select(
                "arch", "Architecture", f.arch(), distinct(all, l -> l.facts().arch())));
        b.append(number("minCpus", "Minimum CPUs", f.minCpus() == 0 ? "" : "" + f.minCpus()));
        b.append(number("minMemoryGb", "Minimum memory (GB)", f.minMemoryGb() == 0 ? "" : "" + f.minMemoryGb()));
        b.append(number("minDiskGb", "Minimum free disk (GB)", f.minDiskGb() == 0 ? "" : "" + f.minDiskGb()));
        b.append(number(
                "maxPrice", "Maximum price per hour", f.maxPricePerHour() == null ? "" : "" + f.maxPricePerHour()));
        b.append(number(
                "minUptime",
                "Minimum uptime, 30 days (%)",
                f.minUptimePercent() == 0 ? "" : "" + f.minUptimePercent()));
        b.append("<p><label for=\"region\">Region</label><input id=\"region\" name=\"region\" value=\"")
                .append(esc(f.region()))
                .append("\" list=\"regions\"><datalist id=\"regions\">");
        for (String region : distinct(all, Listing::region)) {
            b.append("<option value=\"").append(esc(region)).append("\">");
        }
        b.append("</datalist></p>\n");
        b.append(select(
                "template",
                "Template offered",
                f.template() == null ? "" : f.template().id(),
                List.of(Template.BASE.id(), Template.WEB.id(), Template.FILES.id())));
        b.append("<p><label for=\"sort\">Sort by</label><select id=\"sort\" name=\"sort\">");
        for (String s : MarketFilter.SORTS) {
            b.append("<option value=\"")
                    .append(s)
                    .append('"')
                    .append(s.equals(f.sort()) ? " selected" : "")
                    .append('>')
                    .append(s.equals("price") ? "price (lowest first)" : s + " (most first)")
                    .append("</option>");
        }
        b.append("</select></p>\n<p class=\"check\"><input type=\"checkbox\" id=\"free\" name=\"free\" value=\"1\"")
                .append(f.freeOnly() ? " checked" : "")
                .append("><label for=\"free\">Free to rent now</label></p>\n");
        b.append("<p><button type=\"submit\">Show</button> <a href=\"/\">Clear</a></p>\n</form>\n");
        b.append("<p id=\"count\" role=\"status\">")
                .append(shown.size())
                .append(" of ")
                .append(all.size())
                .append(" devices</p>\n");
        b.append(
                "<div class=\"scroll\"><table class=\"listings\">\n<thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Status</th>"
                        + "<th scope=\"col\">Price / hour</th><th scope=\"col\">Price / GB</th><th scope=\"col\">CPUs</th><th scope=\"col\">Memory</th>"
                        + "<th scope=\"col\">Free disk</th><th scope=\"col\">Arch</th><th scope=\"col\">Model</th><th scope=\"col\">Benchmark</th>"
                        + "<th scope=\"col\">Uptime 30 d</th><th scope=\"col\">Region</th><th scope=\"col\">Templates</th>"
                        + "<th scope=\"col\">Hub</th></tr></thead>\n<tbody>\n");
        for (Listing l : shown) {
            b.append("<tr data-device=\"")
                    .append(esc(l.deviceId()))
                    .append("\"><td><a href=\"/devices/")
                    .append(esc(l.deviceId()))
                    .append("\">")
                    .append(esc(l.deviceId()))
                    .append("</a></td><td>")
                    .append(esc(status(l)))
                    .append("</td><td class=\"n\">")
                    .append(l.prices().perHour())
                    .append("</td><td class=\"n\">")
                    .append(l.prices().perGb())
                    .append("</td><td class=\"n\">")
                    .append(l.facts().cpus())
                    .append("</td><td class=\"n\">")
                    .append(gb(l.facts().memoryBytes()))
                    .append("</td><td class=\"n\">")
                    .append(gb(l.facts().diskFreeBytes()))
                    .append("</td><td>")
                    .append(esc(l.facts().arch()))
                    .append("</td><td>")
                    .append(esc(l.facts().model()))
                    .append("</td><td class=\"n\">")
                    .append(l.facts().benchmarkScore())
                    .append("</td><td class=\"n\">")
                    .append(uptime(l))
                    .append("</td><td>")
                    .append(esc(l.region()))
                    .append("</td><td>")
                    .append(esc(Template.join(l.templates())))
                    .append("</td><td>")
                    .append(l.home() == null ? "here" : esc(l.home()))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></div>\n");
        if (shown.isEmpty()) {
            b.append("<p>No device matches. <a href=\"/\">Show all</a></p>\n");
        }
        return layout(r, "Devices for rent", b.toString());
    }

    static String device(WebUi.Request r, Listing l, Long balance, String error) {
        StringBuilder b = new StringBuilder();
        b.append("<h1>Device ").append(esc(l.deviceId())).append("</h1>\n");
        b.append("<dl class=\"facts\">")
                .append(fact("Status", status(l)))
                .append(fact("Owner", l.owner()))
                .append(fact("Model", l.facts().model()))
                .append(fact("CPU", l.facts().cpus() + " × " + l.facts().cpuModel()))
                .append(fact("Architecture", l.facts().arch()))
                .append(fact("Memory", gb(l.facts().memoryBytes()) + " GB"))
                .append(fact("Free disk", gb(l.facts().diskFreeBytes()) + " GB"))
                .append(fact("Benchmark", "" + l.facts().benchmarkScore()))
                .append(fact("Uptime, 30 days", uptime(l)))
                .append(fact("Region", l.region().isEmpty() ? "not said" : l.region()))
                .append(fact(
                        "Price",
                        l.prices().perHour() + " per hour, " + l.prices().perGb() + " per GB sent"))
                .append(fact("Templates", Template.join(l.templates())))
                .append(fact("Hub", l.home() == null ? "this hub" : l.home()))
                .append("</dl>\n");
        if (error != null) {
            b.append("<p class=\"error\" role=\"alert\">").append(esc(error)).append("</p>\n");
        }
        if (r.account().isEmpty()) {
            b.append("<p><a href=\"/signin?next=/devices/")
                    .append(esc(l.deviceId()))
                    .append("\">Sign in</a> or <a href=\"/signup\">sign up</a>" + " to rent it.</p>\n");
        } else if (l.home() != null) {
            b.append("<p>This device belongs to the linked hub ")
                    .append(esc(l.home()))
                    .append(". Rent it with <code>edgerent rent ")
                    .append(esc(l.deviceId()))
                    .append("</code>; these pages rent this hub's own devices.</p>\n");
        } else if (!MarketFilter.isFree(l)) {
            b.append("<p>It cannot be rented now (").append(esc(status(l))).append(").</p>\n");
        } else {
            b.append("<h2>Rent it</h2>\n<form id=\"rent\" method=\"post\" action=\"/rent\">\n")
                    .append(csrf(r))
                    .append("<input type=\"hidden\" name=\"device\" value=\"")
                    .append(esc(l.deviceId()))
                    .append("\">\n")
                    .append("<input type=\"hidden\" name=\"voucherKey\" id=\"voucherKey\">\n")
                    .append("<input type=\"hidden\" name=\"passwordSha256\" id=\"passwordSha256\">\n")
                    .append(
                            "<p><label for=\"hours\">Hours</label><input id=\"hours\" name=\"hours\" type=\"number\" min=\"1\" max=\"744\""
                                    + " value=\"1\" required></p>\n")
                    .append(
                            "<p><label for=\"maxPrice\">Maximum price per hour</label><input id=\"maxPrice\" name=\"maxPrice\""
                                    + " type=\"number\" min=\"0\" value=\"")
                    .append(l.prices().perHour())
                    .append("\" required></p>\n")
                    .append("<p><label for=\"template\">Template</label><select id=\"template\" name=\"template\">");
            for (Template t : l.templates()) {
                b.append("<option value=\"")
                        .append(t.id())
                        .append("\">")
                        .append(templateName(t))
                        .append("</option>");
            }
            b.append(
                            "</select></p>\n<p id=\"filesPasswordRow\"><label for=\"filesPassword\">File host password (files template only;"
                                    + " it never leaves this browser)</label><input id=\"filesPassword\" type=\"password\" autocomplete=\"new-password\"></p>\n")
                    .append(
                            "<p><label for=\"sshKey\">Your SSH public key</label><textarea id=\"sshKey\" name=\"sshKey\" rows=\"3\" required"
                                    + " placeholder=\"ssh-ed25519 AAAA… you@laptop (the line in ~/.ssh/id_ed25519.pub)\"></textarea></p>\n")
                    .append("<p class=\"note\">The deposit, the price × the hours, moves from your wallet (balance ")
                    .append(balance)
                    .append(
                            ") into escrow; what you do not use comes back when the rental ends. While the rental's page is open,"
                                    + " this browser signs a payment every minute with a key it keeps for this rental.</p>\n")
                    .append("<p><button type=\"submit\" id=\"rentButton\">Rent</button></p>\n")
                    .append("<p id=\"keyProblem\" class=\"error\" role=\"alert\" hidden></p>\n</form>\n");
        }
        return layout(r, "Device " + l.deviceId(), b.toString());
    }

    static String myRentals(WebUi.Request r, List<RentalView> rentals, Statement wallet, String publicHost) {
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

    static String rental(WebUi.Request r, RentalView v, WebUi.RentalStatus s, String error) {
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
                        c.prices().perHour() + " per hour, " + c.prices().perGb() + " per GB sent"));
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

    static String owner(
            WebUi.Request r,
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

    static String signIn(WebUi.Request r, String error) {
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

    static String keySignIn(WebUi.Request r, String code) {
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

    static String signUp(WebUi.Request r, String invite, String error) {
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

    static String problem(WebUi.Request r, int status, String message) {
        String body = "<h1>" + status + "</h1>\n<p class=\"error\" role=\"alert\">" + esc(message)
                + "</p>\n<p><a href=\"/\">The market</a></p>\n";
        return r == null ? "<!doctype html><title>" + status + "</title>" + body : layout(r, "Error " + status, body);
    }

    /** What the rental page's script reads every few seconds. */
    static String statusJson(WebUi.RentalStatus s, String hubKey) {
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
                .append(",\"ahead\":")
                .append(s.ahead())
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

    // ---- pieces
    // ----------------------------------------------------------------------------------------------------------

    private static String layout(WebUi.Request r, String title, String body) {
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

    private static String wipe(WipeRecord w) {
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

    /** Income per day over 30 days as bars, drawn on the server (no script, no library). */
    private static String chart(List<Books.DayIncome> income, long now) {
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

    private static String csrf(WebUi.Request r) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(r.csrf()) + "\">";
    }

    private static String fact(String term, String value) {
        return "<dt>" + esc(term) + "</dt><dd>" + esc(value) + "</dd>";
    }

    private static String number(String id, String label, String value) {
        return "<p><label for=\"" + id + "\">" + esc(label) + "</label><input id=\"" + id + "\" name=\"" + id
                + "\" inputmode=\"numeric\"" + " value=\"" + esc(value) + "\"></p>\n";
    }

    private static String select(String id, String label, String chosen, List<String> options) {
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

    private static List<String> distinct(List<Listing> listings, java.util.function.Function<Listing, String> field) {
        return listings.stream()
                .map(field)
                .filter(s -> s != null && !s.isEmpty())
                .distinct()
                .sorted()
                .toList();
    }

    private static List<RentalView> newestFirst(List<RentalView> rentals) {
        List<RentalView> reversed = new java.util.ArrayList<>(rentals);
        java.util.Collections.reverse(reversed);
        return reversed;
    }

    private static String status(Listing l) {
        return l.stale() ? "stale (its hub is not answering)" : l.availability();
    }

    private static String stateText(RentalView v, ChannelStatus c) {
        return switch (v.state()) {
            case RentalView.PREPARING -> "preparing";
            case RentalView.ACTIVE -> c.paused() ? "suspended (payment stopped)" : "running";
            case RentalView.ENDING -> "ending";
            default -> "ended";
        };
    }

    private static String templateName(Template t) {
        return switch (t) {
            case BASE -> "base (an SSH box)";
            case WEB -> "web (a static web server for /data/www)";
            case FILES -> "files (a password-guarded file host)";
        };
    }

    private static String uptime(Listing l) {
        return l.uptimePermille() < 0 ? "unknown" : (l.uptimePermille() / 10) + "." + (l.uptimePermille() % 10) + " %";
    }

    private static String gb(long bytes) {
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

    /** A JSON string (JsonLogLayout has one too, but it is a logback class, and the pages must not need logback). */
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
