package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Template;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "market",
        header = "the devices for rent, here and at linked hubs",
        sortOptions = false,
        description = {
            "Lists the hub's devices: which are free to rent, what each has (CPUs, memory, disk) and which app templates it offers"
                    + " (see `edgerent rent --help`), then the devices of hubs linked with it (HOME names the hub, \"here\" is this one;"
                    + " you rent them here all the same, and that hub settles the payment). A linked hub not heard from lately shows"
                    + " its devices as stale; they disappear when their listings expire."
        })
final class MarketCommand extends HubCommand {
    @Mixin
    OutputOption output;

    MarketCommand(Context context) {
        super(context);
    }

    @Override
    boolean asRenter() {
        return false;
    }

    @Override
    int run(HubClient hub) {
        List<Listing> listings = hub.listings();
        if (output.json()) {
            OutputOption.print(
                    context, listings.stream().map(MarketCommand::json).toList());
            return 0;
        }
        if (listings.isEmpty()) {
            context.out().println("no devices for rent on this hub now");
            return 0;
        }
        context.out()
                .printf(
                        "%-16s %-10s %-10s %10s %8s %4s %9s %9s %-8s %-16s %-12s %s%n",
                        "DEVICE",
                        "STATUS",
                        "OWNER",
                        "PRICE/HOUR",
                        "PRICE/GB",
                        "CPUS",
                        "MEMORY",
                        "DISK",
                        "ARCH",
                        "TEMPLATES",
                        "HOME",
                        "MODEL");
        for (Listing l : listings) {
            context.out()
                    .printf(
                            "%-16s %-10s %-10s %10d %8d %4d %9s %9s %-8s %-16s %-12s %s%n",
                            l.deviceId(),
                            l.availability(),
                            l.owner(),
                            l.prices().perHour(),
                            l.prices().perGb(),
                            l.facts().cpus(),
                            Show.bytes(l.facts().memoryBytes()),
                            Show.bytes(l.facts().diskFreeBytes()),
                            l.facts().arch(),
                            Template.join(l.templates()),
                            l.home() == null ? "here" : l.home(),
                            l.facts().model());
        }
        listings.stream()
                .filter(l -> !l.flagged().isEmpty())
                .forEach(l -> context.out()
                        .println("flagged " + l.deviceId() + ": its hub refused an impossible usage report from it: "
                                + l.flagged()));
        return 0;
    }

    private static Map<String, Object> json(Listing l) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("device", l.deviceId());
        json.put("status", l.availability());
        json.put("owner", l.owner());
        json.put("pricePerHour", l.prices().perHour());
        json.put("pricePerGb", l.prices().perGb());
        json.put("cpus", l.facts().cpus());
        json.put("cpuModel", l.facts().cpuModel());
        json.put("memoryBytes", l.facts().memoryBytes());
        json.put("diskFreeBytes", l.facts().diskFreeBytes());
        json.put("arch", l.facts().arch());
        json.put("model", l.facts().model());
        json.put("benchmarkScore", l.facts().benchmarkScore());
        json.put("templates", l.templates().stream().map(Template::id).sorted().toList());
        json.put("home", l.home());
        json.put("region", l.region());
        json.put("uptimePermille", l.uptimePermille());
        json.put("flagged", l.flagged().isEmpty() ? null : l.flagged());
        return json;
    }
}
