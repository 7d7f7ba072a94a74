package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.RentalView;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "rentals",
        header = "your rentals",
        description = "Lists your rentals (those rented with this renter identity) and their state.")
final class RentalsCommand extends HubCommand {
    @Mixin
    OutputOption output;

    RentalsCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        List<RentalView> rentals = hub.rentals(context.renterKey());
        if (output.json()) {
            OutputOption.print(
                    context, rentals.stream().map(r -> Show.rentalJson(hub, r)).toList());
            return 0;
        }
        if (rentals.isEmpty()) {
            context.out().println("you have no rentals on this hub");
            return 0;
        }
        context.out()
                .printf(
                        "%-16s %-16s %-10s %-8s %-20s %12s  %s%n",
                        "RENTAL", "DEVICE", "STATE", "TEMPLATE", "ENDS", "HTTP-OUT", "SSH / WEB");
        for (RentalView r : rentals) {
            boolean active = r.state().equals(RentalView.ACTIVE);
            context.out()
                    .printf(
                            "%-16s %-16s %-10s %-8s %-20s %12d  %s%n",
                            r.name(),
                            r.deviceId(),
                            r.state(),
                            r.template().id(),
                            Show.time(r.endsAt()),
                            r.httpBytesOut(),
                            active ? Show.sshCommand(hub, r) + "  " + r.httpUrl() : "-");
        }
        return 0;
    }
}
