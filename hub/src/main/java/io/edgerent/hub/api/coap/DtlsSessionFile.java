package io.edgerent.hub.api.coap;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.californium.elements.util.PersistentComponentUtil;
import org.eclipse.californium.scandium.DTLSConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open DTLS sessions, saved in a file only the hub's user reads when the hub stops and loaded once when it
 * starts, so a restart costs the fleet no handshakes.
 */
final class DtlsSessionFile {
    private static final Logger LOG = LoggerFactory.getLogger(DtlsSessionFile.class);
    /** DTLS sessions older than this are not saved: their devices would have been dropped anyway. */
    private static final long SESSION_STALE_SECONDS = 3600;

    private final Path file;
    /** The DTLS sessions as one persistent component. */
    private final PersistentComponentUtil sessions = new PersistentComponentUtil();

    DtlsSessionFile(Path file, DTLSConnector dtls) {
        this.file = file;
        sessions.add(dtls);
    }

    /** Writes the open DTLS sessions (their keys included), atomically. */
    void save() {
        try {
            Path tmp = Files.createTempFile(
                    file.getParent(),
                    "dtls",
                    ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            int saved;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                saved = sessions.saveComponents(out, SESSION_STALE_SECONDS);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("saved {} DTLS session(s) for the next start", saved);
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "could not save the DTLS sessions ({}); devices will handshake again after the restart",
                    e.getMessage());
        }
    }

    /** Loads what {@link #save} wrote, once: the file is deleted, so a crash later never replays old state. */
    void restore() {
        if (!Files.exists(file)) {
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            LOG.info("restored {} DTLS session(s)", sessions.loadComponents(in));
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not restore the DTLS sessions ({}); devices will handshake again", e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", file, e.getMessage());
            }
        }
    }
}
