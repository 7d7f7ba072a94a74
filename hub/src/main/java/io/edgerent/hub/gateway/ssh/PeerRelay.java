package io.edgerent.hub.gateway.ssh;

import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reaches device tunnels held by the other hubs on the same database. For a tunnel at another hub's
 * gateway it keeps one SSH session there, logged in as {@value #USER} with the key all these hubs
 * share, and a local port on this hub's loopback forwarded to the tunnel port on that hub's: this
 * hub's SSH gateway and HTTP router then connect to that local port as they would to a tunnel of
 * their own.
 */
final class PeerRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerRelay.class);
    /** The user name hubs log in to each other's gateways with. */
    static final String USER = "hub";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final KeyPair identity;
    private final SshClient client;
    private final Map<String, ClientSession> sessions = new HashMap<>();
    /** {@code NODE/PORT} to the local port forwarded there. */
    private final Map<String, Integer> forwards = new HashMap<>();

    PeerRelay(KeyPair identity) {
        this.identity = identity;
        client = SshClient.setUpDefaultClient();
        PublicKey shared = identity.getPublic();
        // The other hub must show the key this hub shows: the database admits only hubs with that key.
        client.setServerKeyVerifier((session, address, key) -> key.equals(shared));
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        client.setSessionHeartbeat(
                org.apache.sshd.common.session.SessionHeartbeatController.HeartbeatType.IGNORE, Duration.ofSeconds(20));
        client.start();
    }

    /**
     * The loopback port on this hub that leads to {@code tunnelPort} at the hub gateway {@code node}
     * (HOST:PORT), made on first use and kept while that hub's session lasts.
     */
    synchronized int localPort(String node, int tunnelPort) throws IOException {
        String key = node + "/" + tunnelPort;
        Integer port = forwards.get(key);
        ClientSession session = session(node);
        if (port == null) {
            SshdSocketAddress bound = session.startLocalPortForwarding(
                    new SshdSocketAddress(SshGateway.LOOPBACK, 0),
                    new SshdSocketAddress(SshGateway.LOOPBACK, tunnelPort));
            port = bound.getPort();
            forwards.put(key, port);
            LOG.info("relaying loopback port {} to tunnel port {} at hub {}", port, tunnelPort, node);
        }
        return port;
    }

    /** Whether {@code port} is one this relay opened (so the gateway may connect renters to it). */
    synchronized Optional<String> forwardAt(int port) {
        return forwards.entrySet().stream()
                .filter(e -> e.getValue() == port)
                .map(Map.Entry::getKey)
                .findFirst();
    }

    private ClientSession session(String node) throws IOException {
        ClientSession open = sessions.get(node);
        if (open != null && open.isOpen() && open.isAuthenticated()) {
            return open;
        }
        forwards.keySet().removeIf(k -> k.startsWith(node + "/"));
        int colon = node.lastIndexOf(':');
        ClientSession session = client.connect(
                        USER, node.substring(0, colon), Integer.parseInt(node.substring(colon + 1)))
                .verify(CONNECT_TIMEOUT)
                .getSession();
        try {
            session.addPublicKeyIdentity(identity);
            session.auth().verify(CONNECT_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            session.close(true);
            throw new IOException("cannot log in to the hub at " + node + ": " + e.getMessage(), e);
        }
        sessions.put(node, session);
        return session;
    }

    @Override
    public synchronized void close() {
        sessions.values().forEach(s -> s.close(true));
        try {
            client.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the relay to other hubs: {}", e.getMessage());
        }
    }
}
