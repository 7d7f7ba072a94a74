package io.edgerent.client.command;

import io.edgerent.link.Dtls;
import java.net.URI;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --hub}: the hub, or the hubs of one fleet, a command talks to. */
public final class HubOption {
    static final String DEFAULT = "coap://127.0.0.1:5683";

    @Option(
            names = "--hub",
            paramLabel = "URI",
            defaultValue = "${env:EDGERENT_HUB:-" + DEFAULT + "}",
            description = {
                "the hub: coaps://HOST:PORT (DTLS; its key is recorded in known_hubs at the first contact and must match after),"
                        + " or coap://127.0.0.1:PORT on the hub machine (default $EDGERENT_HUB or " + DEFAULT + ").",
                "Several hubs of one fleet, separated by commas: a request one does not answer goes to the next"
            })
    String hub;

    /** The hub, or the hubs of one fleet (comma separated). */
    List<URI> hubs() {
        if (hub.contains(",")) {
            List<URI> hubs = Dtls.hubAddresses(hub);
            if (hubs.isEmpty()) {
                throw new UsageException(
                        "--hub takes one hub, or several of one fleet separated by commas, each coaps://HOST:PORT"
                                + " (or all coap://127.0.0.1:PORT on the hub machine) and none twice; got " + hub);
            }
            return hubs;
        }
        URI uri = null;
        try {
            uri = new URI(hub.strip());
        } catch (java.net.URISyntaxException e) {
            // refused below, as any other address that is not a hub's
        }
        if (uri == null || !List.of("coap", "coaps").contains(uri.getScheme()) || uri.getHost() == null) {
            throw new UsageException(
                    "--hub must look like coaps://HOST:PORT (or coap://127.0.0.1:PORT on the hub machine), got " + hub);
        }
        return List.of(uri);
    }
}
