package io.edgerent.hub.gateway.ssh;

import io.edgerent.hub.account.AuthPenalties;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.observability.LogContext;
import io.edgerent.hub.rental.Access;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.threads.DaemonThreads;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.SshKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionHeartbeatController;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.ServerFactoryManager;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.apache.sshd.server.forward.TcpipServerChannel;
import org.apache.sshd.server.session.ServerSessionImpl;
import org.apache.sshd.server.session.SessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's SSH gateway: a forwarder and nothing else.
 *
 * <p>A device logs in as its device id with its registered key and may only listen on its two reserved
 * loopback ports (its rental's sshd and web server); a new login of a device replaces its older
 * session, whose forwards would otherwise hold the ports. A renter logs in as the rental name with the key given at rent and may only open
 * a direct-tcpip channel to {@code RENTAL:22}, which the gateway sends to the device's tunnel port.
 * There is no session channel at all, so no shell, exec, sftp or subsystem; agent and X11 forwarding
 * and every other forward are refused.
 *
 * <p>With several hubs on one database, a device's tunnel is at the hub it logged in to, and the
 * database says which ({@code tunnel_at}). A renter arriving at another hub is relayed there
 * ({@link PeerRelay}): hubs log in to each other as {@value PeerRelay#USER} with the key they share,
 * and may then connect to tunnel ports only. Logins must finish within 10 s, and failed ones from one address
 * are answered ever more slowly ({@link AuthPenalties}).
 */
public final class SshGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SshGateway.class);
    static final String LOOPBACK = "127.0.0.1";
    static final int RENTAL_SSH_PORT = 22;
    /** Where a refused direct-tcpip request is pointed, so the policy sees nothing it allows. */
    static final String REFUSED_TARGET = "refused.invalid";

    private final Services services;
    private final HubConfig config;
    private final SshServer server;
    private final PeerRelay relay;
    private final HubKey hubKey;
    private final AuthPenalties penalties = new AuthPenalties(java.time.Clock.systemUTC());
    private final ScheduledExecutorService delayedFailures =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ssh-auth-delay"));

    public SshGateway(HubConfig config, Services services, HubKey hubKey) {
        this.services = services;
        this.config = config;
        server = SshServer.setUpDefaultServer();
        server.setHost(config.bindAddress());
        server.setPort(config.sshPort());
        server.setKeyPairProvider(KeyPairProvider.wrap(hubKey.pair()));
        this.hubKey = hubKey;
        relay = new PeerRelay(hubKey.pair());
        // AES-GCM only: the JDK runs it on AES-NI/CLMUL, several times faster than ChaCha20 or CTR+HMAC in Java.
        // A client picks its first cipher the server offers, so offering others would make OpenSSH take ChaCha20.
        server.setCipherFactoriesNames(BuiltinCiphers.aes128gcm.getName(), BuiltinCiphers.aes256gcm.getName());
        // Small writes (HTTP heads, keystrokes) go out at once instead of waiting for a delayed ACK.
        CoreModuleProperties.TCP_NODELAY.set(server, true);
        CoreModuleProperties.AUTH_TIMEOUT.set(server, Duration.ofSeconds(10));
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(server, 6);
        // Renters may sit idle in a shell; dead peers are found by the heartbeat's failed writes.
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        server.setSessionHeartbeat(SessionHeartbeatController.HeartbeatType.IGNORE, Duration.ofSeconds(20));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setPublickeyAuthenticator((user, key, session) -> {
            if (mayLogIn(user, key)) {
                return true;
            }
            Duration delay = penalties.failed(addressOf(session));
            if (delay.isZero()) {
                return false;
            }
            AsyncAuthException later = new AsyncAuthException();
            delayedFailures.schedule(() -> later.setAuthed(false), delay.toMillis(), TimeUnit.MILLISECONDS);
            throw later;
        });
        server.setSessionFactory(new LogScopedSessions(server));
        server.addSessionListener(new Admission());
        server.setForwardingFilter(new Policy());
        server.setChannelFactories(List.of(new RentalForwardFactory()));
        services.events().onRentalClosed(this::disconnectRenters);
    }

    public void start() {
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot start the SSH gateway on port " + server.getPort() + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getPort();
    }

    public String hostKey() {
        return hubKey.openSsh();
    }

    /** This gateway as the other hubs on the database reach it, HOST:PORT: what {@code tunnel_at} names. */
    String node() {
        return config.peerAddress() + ":" + port();
    }

    /**
     * The loopback port on this hub that leads to a device's tunnel port: the port itself when the
     * tunnel is here (or nowhere), else a port relayed to the hub holding it.
     */
    public int tunnelTarget(String tunnelAt, int tunnelPort) throws IOException {
        return isHere(tunnelAt) ? tunnelPort : relay.localPort(tunnelAt, tunnelPort);
    }

    /** Whether a tunnel recorded at {@code tunnelAt} is at this gateway (or nowhere, which this gateway then finds closed). */
    private boolean isHere(String tunnelAt) {
        return tunnelAt == null || tunnelAt.equals(node());
    }

    @Override
    public void close() {
        relay.close();
        delayedFailures.shutdownNow();
        try {
            server.stop(true);
        } catch (IOException e) {
            LOG.warn("stopping the SSH gateway: {}", e.getMessage());
        }
    }

    private static String addressOf(Session session) {
        return session.getIoSession().getRemoteAddress() instanceof InetSocketAddress inet
                ? inet.getAddress().getHostAddress()
                : "unknown";
    }

    /**
     * Sessions that handle each SSH message in a {@link LogContext} scope naming whom the session logged in as: a
     * device, or a renter's rental (what their forwards and channels target). The scope closes when the message is
     * handled, so MINA's pooled threads carry no name on to another session.
     */
    private static final class LogScopedSessions extends SessionFactory {
        LogScopedSessions(ServerFactoryManager server) {
            super(server);
        }

        @Override
        protected ServerSessionImpl doCreateSession(IoSession io) throws Exception {
            return new ServerSessionImpl(getServer(), io) {
                @Override
                protected void handleMessage(Buffer buffer) throws Exception {
                    try (LogContext.Scope scope = LogContext.open()) {
                        // A user is a device id or a rental name (or neither, before login): one of these names it.
                        LogContext.device(getUsername());
                        LogContext.rental(getUsername());
                        super.handleMessage(buffer);
                    }
                }
            };
        }
    }

    /**
     * Counts connections that have not logged in yet per address, closing those over the limit, and
     * lets a device's new session replace its older ones once it has really authenticated.
     */
    private final class Admission implements SessionListener {
        private final AttributeRepository.AttributeKey<Boolean> counted = new AttributeRepository.AttributeKey<>();

        @Override
        public void sessionCreated(Session session) {
            if (penalties.admit(addressOf(session))) {
                session.setAttribute(counted, true);
            } else {
                LOG.warn(
                        "refused a connection from {}: too many unauthenticated connections from there",
                        addressOf(session));
                session.close(true);
            }
        }

        @Override
        public void sessionEvent(Session session, Event event) {
            if (event != Event.Authenticated) {
                return;
            }
            release(session);
            String user = session.getUsername();
            if (Names.isDeviceId(user)) {
                for (var other : server.getActiveSessions()) {
                    if (other != session && user.equals(other.getUsername()) && other.isAuthenticated()) {
                        LOG.info(
                                "device {} logged in again; closing its older session from {}", user, addressOf(other));
                        other.close(true);
                    }
                }
                services.devices().tunnelOpened(user, node());
            }
        }

        @Override
        public void sessionClosed(Session session) {
            release(session);
            String user = session.getUsername();
            if (Names.isDeviceId(user)
                    && session.isAuthenticated()
                    && server.getActiveSessions().stream()
                            .noneMatch(other ->
                                    other != session && user.equals(other.getUsername()) && other.isAuthenticated())) {
                try {
                    services.devices().tunnelClosed(user, node());
                } catch (RuntimeException e) {
                    LOG.warn("could not record that device {}'s tunnel closed: {}", user, e.getMessage());
                }
            }
        }

        private void release(Session session) {
            if (session.removeAttribute(counted) != null) {
                penalties.done(addressOf(session));
            }
        }
    }

    private boolean mayLogIn(String user, PublicKey key) {
        String offered = PublicKeyEntry.toString(key);
        if (Names.isDeviceId(user)) {
            return services.devices()
                    .devicePublicKey(user)
                    .map(raw -> SshKeys.ed25519AuthorizedKey(raw).equals(offered))
                    .orElse(false);
        }
        if (Names.isRentalName(user)) {
            return services.access()
                    .activeRental(user)
                    .map(access -> access.sshKey().equals(offered))
                    .orElse(false);
        }
        return PeerRelay.USER.equals(user) && key.equals(hubKey.pair().getPublic());
    }

    private void disconnectRenters(String rental) {
        for (var session : server.getActiveSessions()) {
            if (rental.equals(session.getUsername())) {
                LOG.info("closing {}'s SSH session: the rental is over", rental);
                session.close(true);
            }
        }
    }

    /** Deny by default; allow a device its own listen port and a renter their own rental. */
    private final class Policy implements ForwardingFilter {
        @Override
        public boolean canForwardAgent(Session session, String requestType) {
            return false;
        }

        @Override
        public boolean canForwardX11(Session session, String requestType) {
            return false;
        }

        @Override
        public boolean canListen(SshdSocketAddress address, Session session) {
            String user = session.getUsername();
            boolean allowed = Names.isDeviceId(user)
                    && LOOPBACK.equals(address.getHostName())
                    && services.devices().tunnelPorts(user).contains(address.getPort());
            if (!allowed) {
                LOG.warn("refused {} listening on {}", user, address);
            }
            return allowed;
        }

        @Override
        public boolean canConnect(TcpForwardingFilter.Type type, SshdSocketAddress address, Session session) {
            String user = session.getUsername();
            boolean allowed = type == TcpForwardingFilter.Type.Direct
                    && LOOPBACK.equals(address.getHostName())
                    && (Names.isRentalName(user)
                                    && services.access()
                                            .activeRental(user)
                                            .map(access -> leadsTo(address.getPort(), access))
                                            .orElse(false)
                            || PeerRelay.USER.equals(user)
                                    && address.getPort() >= config.tunnelPortMin()
                                    && address.getPort() <= config.tunnelPortMax());
            if (!allowed && !REFUSED_TARGET.equals(address.getHostName())) {
                LOG.warn("refused {} connecting to {}", user, address);
            }
            return allowed;
        }
    }

    /** Whether the loopback {@code port} is the rental's tunnel here, or the relay to it at another hub. */
    private boolean leadsTo(int port, Access.RentalAccess access) {
        if (isHere(access.tunnelAt())) {
            return port == access.tunnelPort();
        }
        return relay.forwardAt(port).equals(Optional.of(access.tunnelAt() + "/" + access.tunnelPort()));
    }

    /** direct-tcpip: {@code RENTAL:22} of the user's own active rental goes to its device's tunnel port, nothing else anywhere. */
    private final class RentalForwardFactory extends TcpipServerChannel.TcpipFactory {
        RentalForwardFactory() {
            super(TcpForwardingFilter.Type.Direct);
        }

        @Override
        public Channel createChannel(Session session) {
            return new TcpipServerChannel(getType(), null) {
                @Override
                protected OpenFuture doInit(Buffer request) {
                    String host = request.getString();
                    int port = request.getInt();
                    String originHost = request.getString();
                    int originPort = request.getInt();
                    String user = getSession().getUsername();
                    int target = 0;
                    if (PeerRelay.USER.equals(user)) {
                        // Another hub relaying: loopback tunnel ports only, as the policy checks.
                        target = LOOPBACK.equals(host) ? port : 0;
                    } else {
                        Optional<Access.RentalAccess> access = host.equals(user) && port == RENTAL_SSH_PORT
                                ? services.access().activeRental(host)
                                : Optional.empty();
                        if (access.isEmpty()) {
                            LOG.warn("refused {} a channel to {}:{}", user, host, port);
                        } else {
                            try {
                                target = tunnelTarget(
                                        access.get().tunnelAt(), access.get().tunnelPort());
                            } catch (IOException e) {
                                LOG.warn(
                                        "cannot relay {} to its device's tunnel at {}: {}",
                                        user,
                                        access.get().tunnelAt(),
                                        e.getMessage());
                            }
                        }
                    }
                    // Any other target, the tunnel port itself included, becomes one the policy always refuses.
                    Buffer rewritten = new ByteArrayBuffer();
                    rewritten.putString(target > 0 ? LOOPBACK : REFUSED_TARGET);
                    rewritten.putInt(target);
                    rewritten.putString(originHost);
                    rewritten.putInt(originPort);
                    return super.doInit(rewritten);
                }
            };
        }
    }
}
