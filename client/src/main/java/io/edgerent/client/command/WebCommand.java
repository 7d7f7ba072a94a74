package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.link.Dtls;
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

    /**
     * A one-time link into the hub's pages, on the host this command reached the hub at: over HTTPS, since whoever
     * reads the code on the way signs in with it; over plain HTTP only for a hub on this machine (loopback), where
     * nothing is on the way. A hub elsewhere that serves no HTTPS gets no link.
     */
    static String link(String host, int httpPort, int httpsPort, String path) {
        if (Dtls.isLoopback(host)) {
            return "http://" + host + ":" + httpPort + path;
        }
        if (httpsPort <= 0) {
            throw new HubClient.HubRefusedException(
                    4,
                    "",
                    "the hub at " + host + " serves its pages without HTTPS: a sign-in code sent over plain HTTP can be"
                            + " read on the way, so no link is made (its operator starts it with --https-port)");
        }
        return "https://" + host + (httpsPort == 443 ? "" : ":" + httpsPort) + path;
    }

    @Override
    int run(HubClient hub) {
        HubClient.WebSignIn signIn = hub.webSignIn(context.renterKey());
        String host = hub.hub().getHost();
        context.out().println(link(host, signIn.httpPort(), signIn.httpsPort(), signIn.path()));
        context.out()
                .println("(opens the hub's web pages as this renter key; works once, for 2 minutes"
                        + (Dtls.isLoopback(host) ? "; plain HTTP, for a hub on this machine only)" : ")"));
        return 0;
    }
}
