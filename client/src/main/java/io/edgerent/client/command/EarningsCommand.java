package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "earnings",
        header = "an owner's income per device (hub operator)",
        sortOptions = false,
        description =
                "An owner's settled income per device, after the hub's fee, and the owner's balance (hub operator).")
final class EarningsCommand extends OperatorCommand {
    @Option(names = "--owner", paramLabel = "NAME", required = true)
    String owner;

    @Mixin
    OutputOption output;

    EarningsCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        var earnings = hub.earnings(adminSecret(), owner);
        if (output.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("owner", earnings.owner());
            json.put("balance", earnings.balance());
            json.put(
                    "devices",
                    earnings.devices().stream()
                            .map(d -> {
                                Map<String, Object> device = new LinkedHashMap<>();
                                device.put("device", d.deviceId());
                                device.put("earned", d.amount());
                                device.put("rentals", d.rentals());
                                return device;
                            })
                            .toList());
            OutputOption.print(context, json);
            return 0;
        }
        context.out().println("owner: " + earnings.owner());
        context.out().println("balance: " + earnings.balance());
        context.out().printf("%-16s %12s %8s%n", "DEVICE", "EARNED", "RENTALS");
        for (var d : earnings.devices()) {
            context.out().printf("%-16s %12d %8d%n", d.deviceId(), d.amount(), d.rentals());
        }
        return 0;
    }
}
