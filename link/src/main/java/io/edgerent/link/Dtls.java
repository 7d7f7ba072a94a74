package io.edgerent.link;

import java.net.InetSocketAddress;
import java.net.URI;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.DtlsHealth;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.ExtendedMasterSecretMode;
import org.eclipse.californium.scandium.dtls.SignatureAndHashAlgorithm;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.californium.scandium.dtls.cipher.XECDHECryptography.SupportedGroup;
import org.eclipse.californium.scandium.dtls.x509.NewAdvancedCertificateVerifier;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;

/**
 * CoAP over DTLS 1.2 as edgerent speaks it, one configuration for the hub, devices and renters:
 * raw public keys on both sides (devices and renters Ed25519, the hub its ECDSA P-256 SSH host
 * key), ECDHE with AES-128-GCM, extended master secret required, the anti-replay window on, and
 * connection IDs issued by the hub so a device behind a NAT that rebinds keeps its session.
 * Plain {@code coap://} stays for a hub on this machine (loopback development).
 */
public final class Dtls {
    public static final String SECURE = "coaps";
    public static final String PLAIN = "coap";
    /** Bytes of the connection IDs the hub issues; the client side only supports them (length 0). */
    static final int HUB_CID_LENGTH = 6;

    static {
        CoapConfig.register();
        UdpConfig.register();
        DtlsConfig.register();
    }

    private Dtls() {}

    /**
     * The largest answer taken or given in blocks (RFC 7959): a market of some thousands of devices, not
     * Californium's default 8 KiB (about 25 listings).
     */
    static final int MAX_BODY_BYTES = 4 << 20;

    /** The settings of every edgerent CoAP endpoint, the ones without DTLS (plain loopback CoAP) included. */
    public static Configuration plainConfiguration() {
        Configuration c = Configuration.createStandardWithoutFile();
        c.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, MAX_BODY_BYTES);
        // A request is remembered (to answer its retransmissions alike) for 60 s, not RFC 7252's 247 s: longer than
        // the 45 s over which a CON is retransmitted, and four times less memory on a hub taking a fleet's reports.
        c.set(CoapConfig.EXCHANGE_LIFETIME, 60, TimeUnit.SECONDS);
        return c;
    }

    /** The settings every edgerent DTLS endpoint shares; {@code role} picks the hub's or a peer's side. */
    public static Configuration configuration(DtlsRole role) {
        Configuration c = plainConfiguration();
        c.set(DtlsConfig.DTLS_ROLE, role);
        c.set(DtlsConfig.DTLS_CONNECTION_ID_LENGTH, role == DtlsRole.SERVER_ONLY ? HUB_CID_LENGTH : 0);
        c.set(DtlsConfig.DTLS_EXTENDED_MASTER_SECRET_MODE, ExtendedMasterSecretMode.REQUIRED);
        c.set(DtlsConfig.DTLS_USE_ANTI_REPLAY_FILTER, true);
        c.set(DtlsConfig.DTLS_CERTIFICATE_TYPES, List.of(CertificateType.RAW_PUBLIC_KEY));
        c.set(DtlsConfig.DTLS_CIPHER_SUITES, List.of(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
        c.set(
                DtlsConfig.DTLS_SIGNATURE_AND_HASH_ALGORITHMS,
                List.of(SignatureAndHashAlgorithm.INTRINSIC_WITH_ED25519, SignatureAndHashAlgorithm.SHA256_WITH_ECDSA));
        c.set(DtlsConfig.DTLS_CURVES, List.of(SupportedGroup.X25519, SupportedGroup.secp256r1));
        c.set(DtlsConfig.DTLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NEEDED);
        return c;
    }

    /**
     * A DTLS connector for {@code address} with {@code identity} as its raw public key, {@code verifier}
     * for the peer's, and {@code health} (or null) told of handshakes and records.
     */
    public static DTLSConnector connector(
            Configuration configuration,
            InetSocketAddress address,
            KeyPair identity,
            NewAdvancedCertificateVerifier verifier,
            DtlsHealth health) {
        return new DTLSConnector(connectorConfig(configuration, address, identity, verifier, health));
    }

    /** What {@link #connector} is made from, for a connector of another kind (the fleet benchmark's devices). */
    public static DtlsConnectorConfig connectorConfig(
            Configuration configuration,
            InetSocketAddress address,
            KeyPair identity,
            NewAdvancedCertificateVerifier verifier,
            DtlsHealth health) {
        return DtlsConnectorConfig.builder(configuration)
                .setAddress(address)
                .setCertificateIdentityProvider(
                        new SingleCertificateProvider(identity.getPrivate(), identity.getPublic()))
                .setAdvancedCertificateVerifier(verifier)
                .setHealthHandler(health)
                .build();
    }

    /**
     * The endpoint a device or renter reaches the hub at {@code hub} through: DTLS with
     * {@code identity} for {@code coaps://}; plain UDP for {@code coap://}, which only a hub on
     * this machine serves (development), so it is refused for any other host.
     */
    public static CoapEndpoint clientEndpoint(URI hub, KeyPair identity, HubKeyCheck check) {
        if (PLAIN.equals(hub.getScheme())) {
            if (!isLoopback(hub.getHost())) {
                throw new IllegalArgumentException(
                        "coap:// is for a hub on this machine (development); a hub elsewhere is reached"
                                + " with coaps://" + hub.getHost() + (hub.getPort() > 0 ? ":" + hub.getPort() : "")
                                + " (DTLS)");
            }
            return new CoapEndpoint.Builder()
                    .setConfiguration(plainConfiguration())
                    .build();
        }
        if (!SECURE.equals(hub.getScheme())) {
            throw new IllegalArgumentException(
                    "the hub address must be coaps://HOST[:PORT] (or coap://127.0.0.1:PORT on the hub"
                            + " machine), got " + hub);
        }
        Configuration configuration = configuration(DtlsRole.CLIENT_ONLY);
        return new CoapEndpoint.Builder()
                .setConfiguration(configuration)
                .setConnector(connector(configuration, new InetSocketAddress(0), identity, check, null))
                .build();
    }

    /** The raw public key the peer of a request authenticated with, or null on plain CoAP. */
    public static PublicKey peerKey(java.security.Principal identity) {
        return identity instanceof RawPublicKeyIdentity rpk ? rpk.getKey() : null;
    }

    /**
     * The hub addresses of a device's setting, comma separated: several hubs serving one fleet, all
     * {@code coaps://HOST:PORT}, or all plain {@code coap://} to this machine; empty if any is neither,
     * they mix, or one repeats.
     */
    public static List<URI> hubAddresses(String setting) {
        List<URI> uris = new java.util.ArrayList<>();
        for (String text : setting.split(",", -1)) {
            URI uri;
            try {
                uri = new URI(text.strip());
            } catch (java.net.URISyntaxException e) {
                return List.of();
            }
            boolean secure = SECURE.equals(uri.getScheme()) && uri.getHost() != null;
            boolean loopback = "coap".equals(uri.getScheme()) && isLoopback(uri.getHost());
            if (!secure && !loopback
                    || !uris.isEmpty() && !uris.get(0).getScheme().equals(uri.getScheme())
                    || uris.contains(uri)) {
                return List.of();
            }
            uris.add(uri);
        }
        return List.copyOf(uris);
    }

    /** Whether {@code host} (as a URI gives it) names this machine: the only host plain coap:// is for. */
    public static boolean isLoopback(String host) {
        return host != null
                && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1"));
    }
}
