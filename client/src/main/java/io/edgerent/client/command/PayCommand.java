package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
        name = "pay",
        header = "pay as you go for a rental (after rent --detach, or to catch up)",
        sortOptions = false,
        description = {
            "Pays as you go for one of your rentals until it ends (see `edgerent rent`). Ctrl-C stops paying and ends the rental."
        })
final class PayCommand extends HubCommand {
    @Parameters(index = "0", paramLabel = "RENTAL")
    String rental;

    @Mixin
    PayEveryOption payEvery;

    PayCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        return PayLoop.payUntilEnd(context, hub, context.renterKey(), rental, payEvery.seconds());
    }
}
