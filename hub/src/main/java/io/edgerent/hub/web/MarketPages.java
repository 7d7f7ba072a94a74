package io.edgerent.hub.web;

import static io.edgerent.hub.web.Html.csrf;
import static io.edgerent.hub.web.Html.esc;
import static io.edgerent.hub.web.Html.fact;
import static io.edgerent.hub.web.Html.gb;
import static io.edgerent.hub.web.Html.layout;
import static io.edgerent.hub.web.Html.number;
import static io.edgerent.hub.web.Html.problem;
import static io.edgerent.hub.web.Html.select;
import static io.edgerent.hub.web.Html.status;
import static io.edgerent.hub.web.Html.templateName;
import static io.edgerent.hub.web.Html.uptime;

import io.edgerent.hub.market.MarketFilter;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Template;
import java.util.List;

/** The market page (listings, filters) and a device's page, where a renter rents it. What came from outside is escaped on the way in ({@link Html#esc}). */
final class MarketPages {
    private MarketPages() {}

    static String market(WebExchange.Request r, MarketFilter f, List<Listing> all) {
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

    static String device(WebExchange.Request r, Listing l, Long balance, String error) {
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
                .append(
                        l.flagged().isEmpty()
                                ? ""
                                : fact("Flagged", "its hub refused an impossible usage report from it: " + l.flagged()))
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
                    .append(
                            "<p><label for=\"maxEgressGb\">Most egress you pay for, in GB</label><input id=\"maxEgressGb\""
                                    + " name=\"maxEgressGb\" type=\"number\" min=\"0\" max=\"100000\" step=\"any\" value=\"10\" required>"
                                    + " <span class=\"note\">(at ")
                    .append(l.prices().perGb())
                    .append(" per GB; the rental ends when its egress reaches it, and your payments never promise more"
                            + " than the price for the time since you rented plus this much egress)</span></p>\n")
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

    static List<String> distinct(List<Listing> listings, java.util.function.Function<Listing, String> field) {
        return listings.stream()
                .map(field)
                .filter(s -> s != null && !s.isEmpty())
                .distinct()
                .sorted()
                .toList();
    }
}
