package io.edgerent.edge.tunnels.jsch;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SocketFactory;
import io.edgerent.edge.settings.OwnerSettings;
import io.edgerent.edge.settings.Refusals;
import io.edgerent.edge.tunnels.TunnelSpec;
import io.edgerent.edge.tunnels.Tunnels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.configuration.ConfigurationService;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reverse SSH forwards to the hub's gateway, each kept alive by its own thread. */
@Component(
        name = JschTunnels.PID,
        immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {Tunnels.class, ConfigurableComponent.class})
@Designate(ocd = JschTunnels.Config.class)
public class JschTunnels implements Tunnels, ConfigurableComponent {
    public static final String PID = "io.edgerent.edge.tunnels";
    private static final Logger LOG = LoggerFactory.getLogger(JschTunnels.class);

    @ObjectClassDefinition(
            id = PID,
            name = "edgerent tunnels",
            description = "How this device keeps its tunnels to the hub open.")
    public @interface Config {
        @AttributeDefinition(
                name = "Keepalive (seconds)",
                description = "How often the device checks that the hub"
                        + " still answers; after 3 missed answers the tunnel reconnects.",
                min = "1",
                max = "600")
        int keepalive_seconds() default 10;

        @AttributeDefinition(
                name = "Longest reconnect wait (seconds)",
                description = "After a lost connection the device"
                        + " tries again after 1 s, then waits twice as long each time (with random jitter), up to this. Keep it"
                        + " low to be back quickly after a hub restart.",
                min = "1",
                max = "600")
        int backoff_max_seconds() default 8;
    }

    /** Connections to the rental's services without Nagle: an HTTP head and body are two writes, and waiting for a delayed ACK costs 40 ms. */
    private static final SocketFactory NO_DELAY = new SocketFactory() {
        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            return socket;
        }

        @Override
        public InputStream getInputStream(Socket socket) throws IOException {
            return socket.getInputStream();
        }

        @Override
        public OutputStream getOutputStream(Socket socket) throws IOException {
            return socket.getOutputStream();
        }
    };

    private final Map<String, Tunnel> tunnels = new ConcurrentHashMap<>();
    private final OwnerSettings settings = new OwnerSettings(PID);
    private volatile Config config;

    @Reference
    private ConfigurationAdmin configurationAdmin;

    /** Kura's configuration service, where there is one: refused settings are written back through it (OwnerSettings). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private ConfigurationService kuraConfiguration;

    @Activate
    void activate(Config config, Map<String, Object> properties) {
        settings.activate(properties, kuraConfiguration, Config.class, this::apply);
    }

    /** Open tunnels take the new keepalive at once and the new backoff at their next reconnect. */
    @Modified
    void modified(Config config, Map<String, Object> properties) {
        settings.modify(configurationAdmin, kuraConfiguration, properties, () -> apply(config));
    }

    private void apply(Config config) {
        new Refusals("tunnels")
                .within("keepalive", config.keepalive_seconds(), 1, 600, "seconds", null)
                .within("longest reconnect wait", config.backoff_max_seconds(), 1, 600, "seconds", null)
                .throwIfAny();
        this.config = config;
        for (Tunnel tunnel : tunnels.values()) {
            Session session = tunnel.session;
            if (session != null && session.isConnected()) {
                try {
                    session.setServerAliveInterval(config.keepalive_seconds() * 1000);
                } catch (JSchException e) {
                    LOG.warn(
                            "tunnel for {}: the new keepalive applies from its next connection ({})",
                            tunnel.spec.rental(),
                            e.getMessage());
                }
            }
        }
        LOG.info(
                "tunnel settings: keepalive {} s, longest reconnect wait {} s",
                config.keepalive_seconds(),
                config.backoff_max_seconds());
    }

    @Deactivate
    void deactivate() {
        tunnels.keySet().forEach(this::close);
    }

    @Override
    public void open(TunnelSpec spec) {
        Tunnel tunnel = new Tunnel(spec);
        Tunnel previous = tunnels.put(spec.rental(), tunnel);
        if (previous != null) {
            previous.stop();
        }
        tunnel.thread.start();
    }

    @Override
    public void close(String rental) {
        Tunnel tunnel = tunnels.remove(rental);
        if (tunnel != null) {
            tunnel.stop();
        }
    }

    @Override
    public boolean isConnected(String rental) {
        Tunnel tunnel = tunnels.get(rental);
        return tunnel != null && tunnel.forwarding;
    }

    private final class Tunnel implements Runnable {
        final TunnelSpec spec;
        final Thread thread;
        volatile boolean stopped;
        volatile boolean forwarding;
        volatile Session session;

        Tunnel(TunnelSpec spec) {
            this.spec = spec;
            this.thread = new Thread(this, "tunnel-" + spec.rental());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            long backoffMillis = 1000;
            while (!stopped) {
                try {
                    connect();
                    backoffMillis = 1000;
                    while (!stopped && session.isConnected()) {
                        pause(500);
                    }
                    if (!stopped) {
                        LOG.warn(
                                "tunnel for {} to {}:{} dropped; reconnecting",
                                spec.rental(),
                                spec.hubHost(),
                                spec.hubSshPort());
                    }
                } catch (JSchException e) {
                    if (String.valueOf(e.getMessage()).contains("HostKey")) {
                        LOG.error(
                                "refusing to open the tunnel for {}: the hub at {}:{} shows an SSH host key other than the one"
                                        + " pinned at registration ({}). Either someone is in between or the hub's key was replaced;"
                                        + " if the hub operator confirms a new key, register this device again.",
                                spec.rental(),
                                spec.hubHost(),
                                spec.hubSshPort(),
                                spec.hubHostKey());
                    } else {
                        LOG.warn(
                                "tunnel for {} to {}:{} failed: {}",
                                spec.rental(),
                                spec.hubHost(),
                                spec.hubSshPort(),
                                e.getMessage());
                    }
                } finally {
                    forwarding = false;
                    disconnect();
                }
                long cap = config.backoff_max_seconds() * 1000L;
                // Jitter spreads a fleet's reconnects after a hub restart.
                pause(backoffMillis / 2 + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1));
                backoffMillis = Math.min(backoffMillis * 2, cap);
            }
        }

        /**
         * Sleeps, ending early only when the tunnel is stopped. JSch wakes a thread waiting for a
         * global request's reply with {@link Thread#interrupt()}, sometimes after the reply was
         * already taken, so an interrupt alone does not mean stop.
         */
        private void pause(long millis) {
            long end = System.nanoTime() + millis * 1_000_000L;
            while (!stopped) {
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return;
                }
                try {
                    Thread.sleep(left);
                } catch (InterruptedException e) {
                    // Cleared on purpose: the loop checks stopped, the only stop signal.
                }
            }
        }

        private void connect() throws JSchException {
            JSch jsch = new JSch();
            // Only the key pinned at registration is trusted; anything else fails with "HostKey has been changed".
            String knownHost = "[" + spec.hubHost() + "]:" + spec.hubSshPort() + " " + spec.hubHostKey() + "\n";
            jsch.setKnownHosts(new ByteArrayInputStream(knownHost.getBytes(StandardCharsets.US_ASCII)));
            jsch.addIdentity(new DeviceIdentity(spec.deviceId(), spec.deviceKey()), null);
            Session s = jsch.getSession(spec.deviceId(), spec.hubHost(), spec.hubSshPort());
            s.setConfig("StrictHostKeyChecking", "yes");
            s.setConfig("PreferredAuthentications", "publickey");
            s.setConfig("server_host_key", spec.hubHostKey().split(" ")[0]);
            s.setConfig("cipher.c2s", "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
            s.setConfig("cipher.s2c", "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
            s.setServerAliveInterval(config.keepalive_seconds() * 1000);
            s.setServerAliveCountMax(3);
            session = s;
            s.connect(15_000);
            for (TunnelSpec.Forward f : spec.forwards()) {
                s.setPortForwardingR("127.0.0.1", f.remotePort(), f.targetHost(), f.targetPort(), NO_DELAY);
                LOG.info(
                        "tunnel for {} open: hub 127.0.0.1:{} -> {}:{}",
                        spec.rental(),
                        f.remotePort(),
                        f.targetHost(),
                        f.targetPort());
            }
            forwarding = true;
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            disconnect();
        }

        private void disconnect() {
            Session s = session;
            if (s != null) {
                s.disconnect();
            }
        }
    }
}
