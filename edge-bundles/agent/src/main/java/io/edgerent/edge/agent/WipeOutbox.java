package io.edgerent.edge.agent;

import io.edgerent.protocol.WipeRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The wipe records not yet at the hub, in {@code dir}: sent until the hub has them; one it refuses for good is kept aside. */
final class WipeOutbox {
    private static final Logger LOG = LoggerFactory.getLogger(WipeOutbox.class);

    private final HubLink hub;
    private final KeyPair deviceKey;
    private final Path dir;

    WipeOutbox(HubLink hub, KeyPair deviceKey, Path dir) {
        this.hub = hub;
        this.deviceKey = deviceKey;
        this.dir = dir;
    }

    /** Where the wipe journals and their records are kept. */
    Path dir() {
        return dir;
    }

    /** Sends each unsent record; stops at the first the hub does not answer, to try again at the next heartbeat. */
    void send(String deviceId) {
        for (Path file : WipeJournal.unsent(dir)) {
            try {
                hub.reportWipe(deviceId, deviceKey, WipeRecord.decode(Files.readAllBytes(file)));
                Files.delete(file);
            } catch (HubLink.HubUnavailableException e) {
                return;
            } catch (HubLink.HubRefusedException e) {
                LOG.error("the hub refused the wipe record {}: {}", file.getFileName(), e.getMessage());
                move(file, file.resolveSibling(file.getFileName() + ".refused"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the wipe record " + file, e);
            }
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from, e);
        }
    }
}
