package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.protocol.RentalView;
import java.security.KeyPair;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "end",
        header = "end a rental now; shows the settlement",
        description = "Ends one of your rentals now. The device destroys the container and lists itself again.")
final class EndCommand extends HubCommand {
    @Parameters(index = "0", paramLabel = "RENTAL")
    String rental;

    EndCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        KeyPair renter = context.renterKey();
        RentalView ended = hub.end(renter, rental);
        context.out().println("rental " + ended.name() + " is " + ended.state());
        Show.settlement(context.out(), hub.channel(renter, ended.name()));
        return 0;
    }
}
