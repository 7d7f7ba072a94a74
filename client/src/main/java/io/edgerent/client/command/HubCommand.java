package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.client.KnownHubs;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.SshKeys;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * A command that talks to a hub: it opens the connection, runs, and records in known_hubs the key of
 * every hub it talked to for the first time.
 */
abstract class HubCommand implements Callable<Integer> {
    @Mixin
    HubOption hubOption;

    final Context context;

    HubCommand(Context context) {
        this.context = context;
    }

    /** Renter commands authenticate their DTLS session with the renter's key; the others with a key made for this run. */
    boolean asRenter() {
        return true;
    }

    abstract int run(HubClient hub);

    @Override
    public Integer call() {
        KnownHubs known = new KnownHubs(context.home());
        try (HubClient hub = new HubClient(
                hubOption.hubs(), 10_000, asRenter() ? context.renterKey() : Ed25519.generate(), known::check)) {
            int code = run(hub);
            hub.shownHubKeys().forEach((at, key) -> {
                if (known.recordIfNew(at, key)) {
                    context.err()
                            .println("edgerent: recorded the key of the hub at " + at + " in " + known.file() + ": "
                                    + SshKeys.ecdsaP256Line(key));
                }
            });
            return code;
        }
    }
}
