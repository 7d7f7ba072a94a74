package io.edgerent.hub.api.coap;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.api.coap.Resources.Handler;
import io.edgerent.hub.backup.Backups;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.link.CompactContexts;
import io.edgerent.link.Dtls;
import io.edgerent.link.SharedMessageIds;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.Listing;
import io.edgerent.protocol.Paths;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.InMemoryMessageExchangeStore;
import org.eclipse.californium.core.network.RandomTokenGenerator;
import org.eclipse.californium.core.network.TokenGenerator;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;

/**
 * The hub's CoAP API (paths in {@link Paths}), CBOR in and out: devices ({@link DeviceResources}), renters
 * ({@link RenterResources}), linked hubs ({@link FederationResources}) and the operator ({@link OperatorResources});
 * refusals map to CoAP codes in {@link Resources}, once.
 *
 * <p>Served twice: over DTLS on the bind address (what devices and renters use; each peer is
 * authenticated by its raw public key, which must be the key it acts as), and as plain CoAP on
 * loopback only, for the hub machine's own tools and development, where signatures alone speak.
 * Open DTLS sessions are saved on close and restored on start, so a restart costs no handshakes.
 */
public final class CoapApi implements AutoCloseable {
    /** The operator's backup request (plain loopback CoAP), which {@code edgerent hub backup} sends a running hub. */
    public static final String BACKUP_PATH = "backup";

    static {
        CoapConfig.register();
        UdpConfig.register();
    }

    private final Services services;
    private final Federation federation;
    private final CoapServer server;
    private final InetSocketAddress address;
    private final InetSocketAddress secureAddress;
    private final DTLSConnector dtls;
    private final DtlsSessionFile sessions;

    public CoapApi(
            HubConfig config,
            Services services,
            GroupCommit commits,
            HubKey hubKey,
            IntSupplier sshPort,
            String adminSecret,
            Clock clock,
            HubMetrics metrics,
            Federation federation,
            Accounts accounts,
            Backups backups) {
        this.services = services;
        this.federation = federation;
        Configuration coap = Dtls.plainConfiguration();
        server = new CoapServer(coap);
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), config.coapPort());
        CoapEndpoint plain = new CoapEndpoint.Builder()
                .setConfiguration(coap)
                .setInetSocketAddress(address)
                .build();
        plain.addInterceptor(metrics.plainCoap);
        server.addEndpoint(plain);
        secureAddress = new InetSocketAddress(config.bindAddress(), config.coapsPort());
        Configuration secure = Dtls.configuration(DtlsRole.SERVER_ONLY);
        // Any raw public key completes the handshake (a new renter is a new key); each resource checks whose it must
        // be.
        dtls = Dtls.connector(
                secure,
                secureAddress,
                hubKey.pair(),
                StaticNewAdvancedCertificateVerifier.builder().setTrustAllRPKs().build(),
                metrics.dtls);
        // Compact contexts: an observation keeps two for as long as its device observes (CompactContexts). Message IDs
        // from one counter: no tracker per device notified (SharedMessageIds).
        TokenGenerator tokens = new RandomTokenGenerator(secure);
        InMemoryMessageExchangeStore exchanges = new InMemoryMessageExchangeStore("dtls", secure, tokens);
        exchanges.setMessageIdProvider(new SharedMessageIds(secure));
        CoapEndpoint secured = new CoapEndpoint.Builder()
                .setConfiguration(secure)
                .setConnector(new CompactContexts(dtls))
                .setTokenGenerator(tokens)
                .setMessageExchangeStore(exchanges)
                .build();
        secured.addInterceptor(metrics.secureCoap);
        server.addEndpoint(secured);
        server.setMessageDeliverer(new Resources.LogScoped(server.getMessageDeliverer()));
        sessions = new DtlsSessionFile(config.dataDir().resolve("dtls.state"), dtls);

        DeviceResources devices = new DeviceResources(services, commits, hubKey, sshPort, metrics, clock);
        RenterResources renters =
                new RenterResources(services, federation, accounts, new VoucherDesk(services, commits), metrics, clock);
        OperatorResources operator = new OperatorResources(services, hubKey, adminSecret, federation, backups);
        CoapResource wallet = renters.wallet();
        wallet.add(operator.move());
        server.add(
                devices.resource(),
                renters.rentals(),
                wallet,
                renters.webSignIn(),
                renters.vouchers(),
                operator.earnings(),
                operator.tokens(),
                operator.backup(),
                new Handler(Paths.LISTINGS).onGet(peer -> Listing.encodeAll(market())),
                new Handler(Paths.HUB_KEY).onGet(peer -> Cbor.encode(Map.of("hubKey", hubKey.openSsh()))),
                new FederationResources(services, federation, renters).resource(operator.links()));
    }

    public void start() {
        sessions.restore();
        try {
            server.start();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(
                    "cannot start the CoAP API on " + address + " and " + secureAddress
                            + " (is another hub running there?)",
                    e);
        }
    }

    public int port() {
        return server.getEndpoints().get(0).getAddress().getPort();
    }

    /** Brings the DTLS session count up to date (Scandium reports it on request). */
    public void updateDtlsHealth() {
        dtls.updateHealth();
    }

    public int securePort() {
        return server.getEndpoints().get(1).getAddress().getPort();
    }

    /** This hub's devices, then the linked hubs' (each marked with its home). */
    public List<Listing> market() {
        List<Listing> all = new ArrayList<>(services.market().listings());
        all.addAll(federation.listings());
        return all;
    }

    @Override
    public void close() {
        server.stop();
        sessions.save();
        server.destroy();
    }
}
