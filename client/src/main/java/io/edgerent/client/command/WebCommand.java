package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import picocli.CommandLine.Command;

@Command(
        name = "web",
        header = "a one-time link that signs a browser in as your renter key",
        description = {
            "Prints a one-time link (it works for 2 minutes) that signs a browser into the hub's web pages"
                    + " as this renter key: your rentals (those made here too, paid from here), your wallet, and renting from the marketplace"
                    + " page. Open it and press Sign in."
        })
final class WebCommand extends HubCommand {
    WebCommand(Context context) {
        super(context);
    }

    /** A page of the hub's web pages, on the host this command reached the hub at. */
    static String link(HubClient hub, int httpPort, String path) {
        return "http://" + hub.hub().getHost() + ":" + httpPort + path;
    }

    @Override
    int run(HubClient hub) {
        HubClient.WebSignIn signIn = hub.webSignIn(context.renterKey());
        context.out().println(link(hub, signIn.httpPort(), signIn.path()));
        context.out().println("(opens the hub's web pages as this renter key; works once, for 2 minutes)");
        return 0;
    }
}
