package io.edgerent.hub.identity;

import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/** The SSH keys renters give: one plain OpenSSH public key each, as the gateway will compare it. */
public final class AuthorizedKeys {
    private AuthorizedKeys() {}

    /** Parses an OpenSSH public key line and returns it as {@code TYPE BASE64}, refusing anything else. */
    public static String normalize(String line) {
        try {
            AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line.strip());
            if (entry == null) {
                throw new RefusedException(ErrorCode.BAD_REQUEST, "the SSH key is empty");
            }
            if (entry.getLoginOptions() != null && !entry.getLoginOptions().isEmpty()) {
                throw new RefusedException(ErrorCode.BAD_REQUEST, "the SSH key must not carry authorized_keys options");
            }
            return PublicKeyEntry.toString(entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING));
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new RefusedException(
                    ErrorCode.BAD_REQUEST, "not an OpenSSH public key (as in id_ed25519.pub): " + e.getMessage());
        }
    }
}
