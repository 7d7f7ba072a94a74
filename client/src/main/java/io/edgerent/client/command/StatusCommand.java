package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
        name = "status",
        header = "a rental's channel: due, paid, deposit, paused, settlement",
        sortOptions = false,
        description = {
            "One of your rentals' payment channel: what is due, what you paid, the"
                    + " deposit, whether it is paused for lack of payment, and after the end how it was settled."
        })
final class StatusCommand extends HubCommand {
    @Parameters(index = "0", paramLabel = "RENTAL")
    String rental;

    @Mixin
    OutputOption output;

    StatusCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        var c = hub.channel(context.renterKey(), rental);
        if (output.json()) {
            OutputOption.print(context, Show.channelJson(c));
            return 0;
        }
        context.out()
                .printf(
                        "%s %s | due %d | paid %d | deposit %d | billed %d s | egress %d bytes of a %s cap | price"
                                + " %d/hour %d/GB%s%n",
                        c.rental(),
                        c.paused() ? "PAUSED" : c.state(),
                        c.due(),
                        c.paid(),
                        c.deposit(),
                        c.billedSeconds(),
                        c.egressBytes(),
                        Show.gb(c.maxEgressBytes()),
                        c.prices().perHour(),
                        c.prices().perGb(),
                        c.paused() ? " (payment behind: run edgerent pay " + c.rental() + ")" : "");
        Show.settlement(context.out(), c);
        return 0;
    }
}
