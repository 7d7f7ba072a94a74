package io.edgerent.client.command;

import io.edgerent.protocol.Ed25519;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.KeyPair;

/** What every command works with: where it prints, and the user's edgerent home ($EDGERENT_HOME). */
public record Context(PrintStream out, PrintStream err, Path home) {
    /**
     * The renter's Ed25519 key pair, which signs every renter request and so is the renter's identity on
     * the hub: made on first use under {@code EDGERENT_HOME/renter}, readable by its owner only.
     */
    public KeyPair renterKey() {
        return Ed25519.loadOrCreate(home.resolve("renter"), "renter");
    }
}
