package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.WipeRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "wipe",
        header = "how the device erased an ended rental, and what it verified",
        description = {
            "How the device erased one of your ended rentals: each step (container removed, the volume's"
                    + " key taken out of the kernel, the encrypted image deleted), what was checked afterwards, and whether every check passed."
        })
final class WipeCommand extends HubCommand {
    @Parameters(index = "0", paramLabel = "RENTAL")
    String rental;

    WipeCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        WipeRecord w = hub.wipe(context.renterKey(), rental);
        context.out()
                .printf(
                        "%s wiped %s (%s), %s%n",
                        w.rental(), Show.time(w.finishedAt()), w.method(), w.verified() ? "verified" : "NOT VERIFIED");
        w.steps().forEach(step -> context.out().println("  step:  " + step));
        w.checks().forEach(check -> context.out().println("  check: " + check));
        return 0;
    }
}
