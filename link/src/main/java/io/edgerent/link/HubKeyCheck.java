package io.edgerent.link;

import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.security.auth.x500.X500Principal;
import org.eclipse.californium.scandium.dtls.AlertMessage;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertDescription;
import org.eclipse.californium.scandium.dtls.AlertMessage.AlertLevel;
import org.eclipse.californium.scandium.dtls.CertificateMessage;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.CertificateVerificationResult;
import org.eclipse.californium.scandium.dtls.ConnectionId;
import org.eclipse.californium.scandium.dtls.HandshakeException;
import org.eclipse.californium.scandium.dtls.HandshakeResultHandler;
import org.eclipse.californium.scandium.dtls.x509.NewAdvancedCertificateVerifier;
import org.eclipse.californium.scandium.util.ServerNames;

/**
 * What a device or renter accepts as the hub's key in the DTLS handshake: the key it expects
 * (pinned at provisioning, recorded at registration or in known_hubs), or, with none yet, any key,
 * which it then records (trust on first use, as OpenSSH does). A refused key is kept, so the
 * caller can say which key the hub showed.
 */
public final class HubKeyCheck implements NewAdvancedCertificateVerifier {
    private final Supplier<Optional<PublicKey>> expected;
    private volatile PublicKey shown;
    private volatile boolean refused;

    private HubKeyCheck(Supplier<Optional<PublicKey>> expected) {
        this.expected = expected;
    }

    /** Accepts the key {@code expected} gives at each handshake; any key while it gives none. */
    public static HubKeyCheck expecting(Supplier<Optional<PublicKey>> expected) {
        return new HubKeyCheck(expected);
    }

    /** Accepts whatever key the hub shows (plain loopback, tests); {@link #shown()} still tells which. */
    public static HubKeyCheck any() {
        return new HubKeyCheck(Optional::empty);
    }

    public static HubKeyCheck pinned(PublicKey key) {
        return new HubKeyCheck(() -> Optional.of(key));
    }

    /** The key the hub showed in the last handshake, accepted or not. */
    public Optional<PublicKey> shown() {
        return Optional.ofNullable(shown);
    }

    /** Whether the last handshake was refused because the hub showed another key. */
    public boolean refused() {
        return refused;
    }

    @Override
    public List<CertificateType> getSupportedCertificateTypes() {
        return List.of(CertificateType.RAW_PUBLIC_KEY);
    }

    @Override
    public CertificateVerificationResult verifyCertificate(
            ConnectionId cid,
            ServerNames serverName,
            InetSocketAddress remotePeer,
            boolean clientUsage,
            boolean verifySubject,
            boolean truncateCertificatePath,
            CertificateMessage message) {
        PublicKey key = message.getPublicKey();
        if (message.getCertificateChain() != null || key == null) {
            return new CertificateVerificationResult(
                    cid,
                    new HandshakeException(
                            "the hub must show a raw public key, not a certificate",
                            new AlertMessage(AlertLevel.FATAL, AlertDescription.UNSUPPORTED_CERTIFICATE)),
                    null);
        }
        shown = key;
        Optional<PublicKey> want = expected.get();
        refused = want.isPresent() && !sameKey(want.get(), key);
        if (refused) {
            return new CertificateVerificationResult(
                    cid,
                    new HandshakeException(
                            "the hub's key is not the one expected",
                            new AlertMessage(AlertLevel.FATAL, AlertDescription.BAD_CERTIFICATE)),
                    null);
        }
        return new CertificateVerificationResult(cid, key, null);
    }

    @Override
    public List<X500Principal> getAcceptedIssuers() {
        return List.of();
    }

    @Override
    public void setResultHandler(HandshakeResultHandler resultHandler) {
        // Answers synchronously.
    }

    public static boolean sameKey(PublicKey a, PublicKey b) {
        return Arrays.equals(a.getEncoded(), b.getEncoded());
    }
}
