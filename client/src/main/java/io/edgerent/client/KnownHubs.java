package io.edgerent.client;

import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.SshKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The hubs' keys this user has seen, one {@code HOST:PORT KEY} line each in
 * {@code EDGERENT_HOME/known_hubs}, as OpenSSH keeps known_hosts: the first contact records the
 * key, every later handshake must show the same one.
 */
public final class KnownHubs {
    private final Path file;

    public KnownHubs(Path home) {
        this.file = home.resolve("known_hubs");
    }

    public Path file() {
        return file;
    }

    /** The DTLS check for {@code hub}: its recorded key, or any key while none is recorded. */
    public HubKeyCheck check(URI hub) {
        return HubKeyCheck.expecting(() -> lookup(hub));
    }

    Optional<PublicKey> lookup(URI hub) {
        String name = name(hub);
        for (String line : lines()) {
            String[] fields = line.strip().split("\\s+", 2);
            if (fields.length == 2 && fields[0].equals(name)) {
                try {
                    return Optional.of(SshKeys.ecdsaP256Key(fields[1]));
                } catch (MalformedMessageException e) {
                    throw new IllegalStateException(file + " has a broken line for " + name + ": " + e.getMessage());
                }
            }
        }
        return Optional.empty();
    }

    /** Records {@code key} for {@code hub}; returns false when a key was already recorded. */
    public boolean recordIfNew(URI hub, PublicKey key) {
        if (lookup(hub).isPresent()) {
            return false;
        }
        List<String> lines = new ArrayList<>(lines());
        lines.add(name(hub) + " " + SshKeys.ecdsaP256Line(key));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "known_hubs", ".tmp");
            Files.write(tmp, lines);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private List<String> lines() {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String name(URI hub) {
        return hub.getHost() + ":" + (hub.getPort() > 0 ? hub.getPort() : 5684);
    }
}
