package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Statement;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** How the commands show times, sizes, money and rentals, as text and as JSON. */
final class Show {
    private Show() {}

    static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    static String time(long epochMillis) {
        return TIME.format(Instant.ofEpochMilli(epochMillis));
    }

    /** An ISO-8601 instant for JSON, or null. */
    static String instant(Long epochMillis) {
        return epochMillis == null ? null : Instant.ofEpochMilli(epochMillis).toString();
    }

    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%d MiB", n >> 20);
    }

    static String sshCommand(HubClient hub, RentalView rental) {
        String host = rental.sshHost() != null ? rental.sshHost() : hub.hub().getHost();
        return "ssh -J " + rental.name() + "@" + host + ":" + rental.sshPort() + " root@" + rental.name();
    }

    static void settlement(PrintStream out, ChannelStatus c) {
        if (c.settled()) {
            out.printf(
                    "settled: due %d, paid %d; owner %d, hub fee %d, refunded to you %d (of deposit %d)%n",
                    c.due(), c.paid(), c.ownerShare(), c.hubFee(), c.refund(), c.deposit());
            out.printf(
                    "you agreed to: %d per hour for %d s served, %d per GB for %s of egress (cap %s); charged"
                            + " at most what you signed (%d)%n",
                    c.prices().perHour(),
                    c.billedSeconds(),
                    c.prices().perGb(),
                    gb(c.egressBytes()),
                    gb(c.maxEgressBytes()),
                    c.paid());
        }
        if (!c.note().isEmpty()) {
            out.println("note: " + c.note());
        }
    }

    /** Bytes as GB of 10^9, to three decimals. */
    static String gb(long bytes) {
        return BigDecimal.valueOf(bytes)
                        .movePointLeft(9)
                        .setScale(3, RoundingMode.DOWN)
                        .toPlainString() + " GB";
    }

    static void statement(PrintStream out, Statement statement) {
        out.println("account: " + statement.account());
        out.println("balance: " + statement.balance());
        for (var line : statement.lines()) {
            out.printf("  %s  %+12d  %s%n", time(line.at()), line.amount(), line.reference());
        }
    }

    static Map<String, Object> statementJson(Statement statement) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("account", statement.account());
        json.put("balance", statement.balance());
        json.put(
                "lines",
                statement.lines().stream()
                        .map(l -> {
                            Map<String, Object> line = new LinkedHashMap<>();
                            line.put("at", instant(l.at()));
                            line.put("amount", l.amount());
                            line.put("reference", l.reference());
                            return line;
                        })
                        .toList());
        return json;
    }

    static Map<String, Object> rentalJson(HubClient hub, RentalView r) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("rental", r.name());
        json.put("device", r.deviceId());
        json.put("state", r.state());
        json.put("template", r.template().id());
        json.put("endsAt", instant(r.endsAt()));
        json.put("httpBytesOut", r.httpBytesOut());
        json.put("ssh", sshCommand(hub, r));
        json.put("web", r.httpUrl());
        return json;
    }

    static Map<String, Object> channelJson(ChannelStatus c) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("rental", c.rental());
        json.put("state", c.state());
        json.put("paused", c.paused());
        json.put("due", c.due());
        json.put("paid", c.paid());
        json.put("deposit", c.deposit());
        json.put("billedSeconds", c.billedSeconds());
        json.put("egressBytes", c.egressBytes());
        json.put("pricePerHour", c.prices().perHour());
        json.put("pricePerGb", c.prices().perGb());
        json.put("maxEgressBytes", c.maxEgressBytes());
        json.put("note", c.note());
        Map<String, Object> settled = null;
        if (c.settled()) {
            settled = new LinkedHashMap<>();
            settled.put("owner", c.ownerShare());
            settled.put("hubFee", c.hubFee());
            settled.put("refund", c.refund());
        }
        json.put("settlement", settled);
        return json;
    }

    /** A whole, non-negative number of the smallest currency unit. */
    static long amount(String text, String what) {
        try {
            long amount = Long.parseLong(text);
            if (amount < 0) {
                throw new NumberFormatException();
            }
            return amount;
        } catch (NumberFormatException e) {
            throw new UsageException(
                    what + " is a whole, non-negative number in the smallest currency unit, got '" + text + "'");
        }
    }
}
