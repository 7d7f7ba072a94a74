package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.RentalView;
import java.security.KeyPair;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "extend",
        header = "more hours and deposit for a rental",
        sortOptions = false,
        description = {
            "Adds N hours to one of your rentals and moves D more from your wallet into its escrow (default: price x N)."
        })
final class ExtendCommand extends HubCommand {
    @Parameters(index = "0", paramLabel = "RENTAL")
    String rental;

    @Option(names = "--hours", paramLabel = "N", required = true, description = "whole hours to add")
    int hours;

    @Option(names = "--deposit", paramLabel = "D", description = "more escrow (default: price x N)")
    String deposit;

    ExtendCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        if (hours <= 0) {
            throw new UsageException("--hours N is required (a whole number of hours to add)");
        }
        KeyPair renter = context.renterKey();
        Prices prices = hub.channel(renter, rental).prices();
        long more = deposit == null ? prices.forSeconds(hours * 3600L) : Show.amount(deposit, "--deposit");
        RentalView extended = hub.extend(renter, rental, hours, more);
        context.out().println("rental " + extended.name() + " now ends " + Show.time(extended.endsAt()));
        return 0;
    }
}
