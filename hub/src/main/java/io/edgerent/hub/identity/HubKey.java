package io.edgerent.hub.identity;

import java.nio.file.Path;
import java.security.KeyPair;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;

/**
 * The hub's key: its SSH host key and its DTLS raw public key, one key that devices and renters pin
 * for both. {@code openSsh} is its public half as an OpenSSH line.
 */
public record HubKey(KeyPair pair, String openSsh) {
    /** The file in the hub's data directory; every hub of a fleet on one database needs the same. */
    public static final String FILE = "ssh_host_ecdsa_key";

    /** Reads the key from the data directory, creating an ECDSA P-256 key there on first start. */
    public static HubKey loadOrCreate(Path dataDir) {
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(dataDir.resolve(FILE));
        keys.setAlgorithm("EC");
        keys.setKeySize(256);
        try {
            KeyPair pair = keys.loadKeys(null).iterator().next();
            return new HubKey(pair, PublicKeyEntry.toString(pair.getPublic()));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot load or create the SSH host key: " + e.getMessage(), e);
        }
    }
}
