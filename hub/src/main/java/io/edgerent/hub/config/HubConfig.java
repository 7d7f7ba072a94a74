package io.edgerent.hub.config;

import io.edgerent.hub.store.Database;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a hub needs to start. {@link Builder#build()} fills the defaults documented on each setter.
 *
 * @param coapPort UDP port of plain CoAP, served on loopback only (development, the hub machine's own tools)
 * @param coapsPort UDP port of CoAP over DTLS, served on the bind address: what devices and renters use
 * @param publicHost the host name renters and devices use to reach this hub (printed in ssh commands)
 * @param domain rentals' web servers answer at {@code http://RENTAL.DOMAIN/} (and at {@code RENTAL.localhost})
 * @param tlsCertificate PEM certificate chain for the HTTPS router, or null for a self-signed one
 * @param tlsKey PEM private key of {@code tlsCertificate}, or null
 * @param metricsBind address of /metrics and /health (loopback by default: they tell the fleet's size)
 * @param database a {@code jdbc:postgresql://} URL several hubs share, or null for the embedded database in {@code dataDir}
 * @param peerAddress the host other hubs on the same database reach this hub's SSH gateway at, to relay renters to
 *     devices whose tunnels are here
 * @param federationRefresh how often linked hubs' listings are fetched and passed rentals checked; this hub's own
 *     signed listings stay valid {@value Federation#LISTINGS_VALID_FOR} times as long
 */
public record HubConfig(
        Path dataDir,
        String bindAddress,
        int coapPort,
        int coapsPort,
        int sshPort,
        String publicHost,
        int tunnelPortMin,
        int tunnelPortMax,
        Duration offlineAfter,
        Duration expiryCheck,
        int feeBasisPoints,
        Duration paymentGrace,
        Duration suspendLimit,
        int httpPort,
        int httpsPort,
        String domain,
        Path tlsCertificate,
        Path tlsKey,
        String metricsBind,
        int metricsPort,
        String database,
        String peerAddress,
        Duration federationRefresh) {

    /** Where a rental's web server answers through the HTTP router, listening on {@code port}. */
    public String httpUrl(String rental, int port) {
        return "http://" + rental + "." + domain + (port == 80 ? "" : ":" + port) + "/";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link HubConfig}; every setting has a default fit for one machine. */
    /** Where Linux says which local ports outgoing connections and port-0 binds take. */
    public static final Path EPHEMERAL_PORTS = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    /**
     * Refuses a tunnel range that overlaps the kernel's ephemeral range ({@code rangeFile}, "LOW HIGH"): an outgoing
     * connection, a relay or anything bound on port 0 could hold a device's tunnel port, and the hub would route one
     * rental's visitors to whatever holds it. Without the file (not Linux) nothing is checked.
     */
    public static void requireTunnelPortsOutsideEphemeral(int min, int max, Path rangeFile) {
        String[] range;
        // Read as a stream: procfs reports a size of 0, and Files.readString then returns only the first byte.
        try (BufferedReader in = Files.newBufferedReader(rangeFile)) {
            String line = in.readLine();
            range = line == null ? new String[0] : line.strip().split("\\s+");
        } catch (IOException e) {
            return;
        }
        if (range.length != 2) {
            throw new IllegalStateException(rangeFile + " does not hold LOW HIGH: " + String.join(" ", range));
        }
        int low = Integer.parseInt(range[0]);
        int high = Integer.parseInt(range[1]);
        if (min <= high && max >= low) {
            throw new IllegalArgumentException("the tunnel ports " + min + "-" + max + " overlap the kernel's ephemeral"
                    + " range " + low + "-" + high + " (" + rangeFile + "), from which outgoing connections and port-0"
                    + " binds take their ports, so one could hold a device's tunnel port; choose --tunnel-ports outside"
                    + " it (default 20000-20999), or narrow the kernel's range (sysctl net.ipv4.ip_local_port_range)");
        }
    }

    public static final class Builder {
        private Path dataDir = Path.of(System.getProperty("user.home"), ".edgerent", "hub");
        private String bindAddress = "127.0.0.1";
        private int coapPort = 5683;
        private int coapsPort = 5684;
        private int sshPort = 2222;
        private String publicHost;
        private int tunnelPortMin = 20000;
        private int tunnelPortMax = 20999;
        private Duration offlineAfter = Duration.ofSeconds(90);
        private Duration expiryCheck = Duration.ofSeconds(5);
        private int feeBasisPoints = 500;
        private Duration paymentGrace = Duration.ofSeconds(120);
        private Duration suspendLimit = Duration.ofMinutes(10);
        private int httpPort = 8080;
        private int httpsPort = 8443;
        private String domain = "localhost";
        private Path tlsCertificate;
        private Path tlsKey;
        private String metricsBind = "127.0.0.1";
        private int metricsPort = 9464;
        private String database;
        private String peerAddress;
        private Duration federationRefresh = Duration.ofSeconds(10);

        /** Where the database, the SSH host key and the admin secret live; default {@code ~/.edgerent/hub}. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** The address CoAP over DTLS and the SSH gateway listen on; default 127.0.0.1. */
        public Builder bindAddress(String bindAddress) {
            this.bindAddress = bindAddress;
            return this;
        }

        /** UDP port of plain CoAP, on loopback only; default 5683, 0 picks a free one. */
        public Builder coapPort(int coapPort) {
            this.coapPort = coapPort;
            return this;
        }

        /** UDP port of CoAP over DTLS on the bind address; default 5684, 0 picks a free one. */
        public Builder coapsPort(int coapsPort) {
            this.coapsPort = coapsPort;
            return this;
        }

        /** Address and TCP port of /metrics and /health; default 127.0.0.1:9464, port 0 picks a free one. */
        public Builder metrics(String bind, int port) {
            this.metricsBind = bind;
            this.metricsPort = port;
            return this;
        }

        /** TCP port of the SSH gateway; default 2222, 0 picks a free one. */
        public Builder sshPort(int sshPort) {
            this.sshPort = sshPort;
            return this;
        }

        /** Host name printed for renters and devices; default the bind address. */
        public Builder publicHost(String publicHost) {
            this.publicHost = publicHost;
            return this;
        }

        /**
         * Loopback ports reserved for devices' reverse forwards, two per device; default 20000 to 20999, below the
         * kernel's ephemeral range (the hub refuses to start with a range that overlaps it, {@code EphemeralPorts}).
         */
        public Builder tunnelPorts(int min, int max) {
            this.tunnelPortMin = min;
            this.tunnelPortMax = max;
            return this;
        }

        /** A device not heard from for this long is offline and not rentable; default 90 s. */
        public Builder offlineAfter(Duration offlineAfter) {
            this.offlineAfter = offlineAfter;
            return this;
        }

        /** How often expired rentals are ended; default 5 s. */
        public Builder expiryCheck(Duration expiryCheck) {
            this.expiryCheck = expiryCheck;
            return this;
        }

        /** The hub's share of each settled payment, in basis points (1/100 of a percent); default 500 = 5 %. */
        public Builder feeBasisPoints(int feeBasisPoints) {
            this.feeBasisPoints = feeBasisPoints;
            return this;
        }

        /** How long a new rental waits for its first voucher before it ends unserved (nothing charged); default 120 s. */
        public Builder paymentGrace(Duration paymentGrace) {
            this.paymentGrace = paymentGrace;
            return this;
        }

        /** How long a rental may stay paused for lack of payment before it ends; default 10 min. */
        public Builder suspendLimit(Duration suspendLimit) {
            this.suspendLimit = suspendLimit;
            return this;
        }

        /** TCP port of the HTTP router; default 8080. */
        public Builder httpPort(int httpPort) {
            this.httpPort = httpPort;
            return this;
        }

        /** TCP port of the HTTPS router; default 8443. */
        public Builder httpsPort(int httpsPort) {
            this.httpsPort = httpsPort;
            return this;
        }

        /** The domain under which rentals' web servers are named, {@code RENTAL.DOMAIN}; default {@code localhost}. */
        public Builder domain(String domain) {
            this.domain = domain;
            return this;
        }

        /** A {@code jdbc:postgresql://HOST:PORT/DATABASE} URL to share with other hubs; default none: the embedded database. */
        public Builder database(String url) {
            this.database = url;
            return this;
        }

        /** Where other hubs on the same database reach this hub's SSH gateway; default the bind address (127.0.0.1 when it is a wildcard). */
        public Builder peerAddress(String host) {
            this.peerAddress = host;
            return this;
        }

        /** How often linked hubs are asked for their listings and about passed rentals; default 10 s. */
        public Builder federationRefresh(Duration every) {
            this.federationRefresh = every;
            return this;
        }

        /** PEM certificate chain and private key for HTTPS; default a self-signed certificate made once and kept. */
        public Builder tls(Path certificate, Path key) {
            this.tlsCertificate = certificate;
            this.tlsKey = key;
            return this;
        }

        public HubConfig build() {
            if (!domain.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
                throw new IllegalArgumentException(
                        "the domain must be a lowercase DNS name like hub.example.org, got '" + domain + "'");
            }
            if ((tlsCertificate == null) != (tlsKey == null)) {
                throw new IllegalArgumentException("a TLS certificate needs its key and a key its certificate");
            }
            if (feeBasisPoints < 0 || feeBasisPoints > 10_000) {
                throw new IllegalArgumentException("the hub fee is 0 to 10000 basis points, got " + feeBasisPoints);
            }
            if (tunnelPortMin < 1024 || tunnelPortMax > 65535 || tunnelPortMin > tunnelPortMax) {
                throw new IllegalArgumentException(
                        "tunnel ports must be a range within 1024..65535, got " + tunnelPortMin + ".." + tunnelPortMax);
            }
            if (database != null && !database.startsWith("jdbc:postgresql://")) {
                throw new IllegalArgumentException(
                        "the database must be a jdbc:postgresql://HOST:PORT/DATABASE URL, got '"
                                + Database.redacted(database) + "'");
            }
            if (paymentGrace.isNegative() || paymentGrace.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException(
                        "the payment grace is 0 s to 1 day (86400 s), got " + paymentGrace.toSeconds() + " s");
            }
            if (suspendLimit.isNegative() || suspendLimit.compareTo(Duration.ofDays(7)) > 0) {
                throw new IllegalArgumentException(
                        "the suspend limit is 0 s to 7 days (604800 s), got " + suspendLimit.toSeconds() + " s");
            }
            for (int port : new int[] {coapPort, coapsPort, sshPort, httpPort, httpsPort, metricsPort}) {
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException("a port is 0 (any free one) to 65535, got " + port);
                }
            }
            if (federationRefresh.compareTo(Duration.ofSeconds(1)) < 0
                    || federationRefresh.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException(
                        "the federation refresh is 1 s to 1 h, got " + federationRefresh.toSeconds() + " s");
            }
            String wildcard = bindAddress.equals("0.0.0.0") || bindAddress.equals("::") ? "127.0.0.1" : bindAddress;
            return new HubConfig(
                    dataDir,
                    bindAddress,
                    coapPort,
                    coapsPort,
                    sshPort,
                    publicHost == null ? bindAddress : publicHost,
                    tunnelPortMin,
                    tunnelPortMax,
                    offlineAfter,
                    expiryCheck,
                    feeBasisPoints,
                    paymentGrace,
                    suspendLimit,
                    httpPort,
                    httpsPort,
                    domain,
                    tlsCertificate,
                    tlsKey,
                    metricsBind,
                    metricsPort,
                    database,
                    peerAddress == null ? wildcard : peerAddress,
                    federationRefresh);
        }
    }
}
