package io.edgerent.hub;

import io.edgerent.hub.account.Accounts;
import io.edgerent.hub.api.coap.CoapApi;
import io.edgerent.hub.api.coap.LinkedHubsOverDtls;
import io.edgerent.hub.backup.Backups;
import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.device.Devices;
import io.edgerent.hub.events.Events;
import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.gateway.ssh.SshGateway;
import io.edgerent.hub.identity.AdminSecret;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.identity.TlsIdentity;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.observability.MetricsServer;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.router.http.HttpRouter;
import io.edgerent.hub.router.http.Pages;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.hub.store.OtherHubs;
import io.edgerent.hub.store.Sql;
import io.edgerent.hub.web.WebUi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running hub: database, services, CoAP API, SSH gateway and HTTP router, wired together. */
public final class Hub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);
    /** How often expired web sessions and sign-in codes are deleted. */
    static final Duration WEB_SESSION_PRUNING = Duration.ofMinutes(10);

    private Database database;
    private SshGateway gateway;
    private HttpRouter router;
    private CoapApi api;
    private GroupCommit commits;
    private MetricsServer metricsServer;
    private ScheduledExecutorService clockwork;
    /** With PostgreSQL: hears the changes other hubs on the database make. */
    private OtherHubs otherHubs;

    private Federation federation;

    private Hub(HubConfig config) {
        HubConfig.requireTunnelPortsOutsideEphemeral(
                config.tunnelPortMin(), config.tunnelPortMax(), HubConfig.EPHEMERAL_PORTS);
        createPrivateDirectory(config.dataDir());
        try {
            database = Database.open(config.database(), config.dataDir());
            database.startHousekeeping();
            HubMetrics metrics = new HubMetrics(buildVersion());
            Sql sql = new Sql(database, metrics::committed);
            Services services = Services.on(sql, config, Clock.systemUTC());
            HubKey hubKey = HubKey.loadOrCreate(config.dataDir());
            services.devices().claimIdentity(hubKey.openSsh(), database.isPostgres());
            gateway = new SshGateway(config, services, hubKey);
            Accounts accounts = new Accounts(sql, Clock.systemUTC());
            WebUi web = new WebUi(config, services, accounts, () -> api.market(), hubKey.openSsh(), Clock.systemUTC());
            router = new HttpRouter(
                    config,
                    services,
                    metrics,
                    TlsIdentity.reloading(config, Duration.ofSeconds(10)),
                    gateway::tunnelTarget,
                    r -> {
                        WebUi.Reply reply =
                                web.serve(r.method(), r.uri(), r.headers(), r.body(), r.https(), r.client());
                        return new Pages.Reply(reply.status(), reply.headers(), reply.body());
                    });
            commits = new GroupCommit(sql);
            federation = new Federation(
                    sql,
                    services.ledger(),
                    Clock.systemUTC(),
                    hubKey.pair(),
                    hubKey.openSsh(),
                    config.federationRefresh(),
                    new LinkedHubsOverDtls(hubKey.pair(), Federation.callTimeout(config.federationRefresh())));
            api = new CoapApi(
                    config,
                    services,
                    commits,
                    hubKey,
                    gateway::port,
                    AdminSecret.loadOrCreate(config.dataDir()),
                    Clock.systemUTC(),
                    metrics,
                    federation,
                    accounts,
                    Backups.of(database, config.dataDir()));
            metricsServer = new MetricsServer(
                    new InetSocketAddress(config.metricsBind(), config.metricsPort()),
                    () -> metrics.prometheus(() -> {
                        api.updateDtlsHealth();
                        Devices.Counts counts = services.devices().counts();
                        return new HubMetrics.Reading(
                                counts.devicesOnline(),
                                counts.devicesRegistered(),
                                counts.devicesFlagged(),
                                counts.rentals(),
                                sql.retries(),
                                commits.commits(),
                                commits.pieces(),
                                federation.counts(),
                                services.books().settled());
                    }),
                    () -> health(services, metrics));
            gateway.start();
            router.start();
            services.rentals().servedAt(gateway.port(), router.httpPort(), router.httpsPort());
            api.start();
            metricsServer.start();
            federation.start();
            if (database.isPostgres()) {
                otherHubs = new OtherHubs(
                        database,
                        Events.CHANNEL,
                        services.events()::heardFromOtherHub,
                        services.events()::mayHaveMissed);
                otherHubs.start();
            }
            clockwork = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "rental-expiry"));
            long every = config.expiryCheck().toMillis();
            clockwork.scheduleWithFixedDelay(
                    () -> {
                        try {
                            int ended = services.rentals().expire();
                            if (ended > 0) {
                                LOG.info("{} rental(s) reached their end time", ended);
                            }
                        } catch (DatabaseUnavailable away) {
                            // Sql said so once; the next round tries again
                        } catch (RuntimeException e) {
                            LOG.error("ending expired rentals failed", e);
                        }
                    },
                    every,
                    every,
                    TimeUnit.MILLISECONDS);
            clockwork.scheduleWithFixedDelay(
                    () -> {
                        try {
                            accounts.pruneExpired();
                        } catch (DatabaseUnavailable away) {
                            // Sql said so once; the next round tries again
                        } catch (RuntimeException e) {
                            LOG.error("deleting expired web sessions failed", e);
                        }
                    },
                    1,
                    WEB_SESSION_PRUNING.toMinutes(),
                    TimeUnit.MINUTES);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts a hub; it serves until {@link #close()}. */
    public static Hub start(HubConfig config) {
        return new Hub(config);
    }

    /** UDP port of plain CoAP (loopback only). */
    public int coapPort() {
        return api.port();
    }

    /** UDP port of CoAP over DTLS. */
    public int coapsPort() {
        return api.securePort();
    }

    /** The hub's key as an OpenSSH line: its SSH host key and its DTLS raw public key, pinned by devices. */
    public String hubKey() {
        return gateway.hostKey();
    }

    public int sshPort() {
        return gateway.port();
    }

    public int httpPort() {
        return router.httpPort();
    }

    public int httpsPort() {
        return router.httpsPort();
    }

    /** The version this hub's jar was built as, or "source" when it runs from the build's classes. */
    static String buildVersion() {
        String version = Hub.class.getPackage().getImplementationVersion();
        return version == null ? "source" : version;
    }

    /** Up when the database answers; the counts tell an operator the rest at a glance. */
    private MetricsServer.Health health(Services services, HubMetrics metrics) {
        try {
            Devices.Counts counts = services.devices().counts();
            api.updateDtlsHealth();
            return new MetricsServer.Health(
                    true,
                    String.format(
                            "{\"status\":\"up\",\"database\":\"ok\",\"devicesOnline\":%d,"
                                    + "\"devicesRegistered\":%d,\"dtlsSessions\":%d}%n",
                            counts.devicesOnline(), counts.devicesRegistered(), metrics.dtls.sessions()));
        } catch (DatabaseUnavailable e) {
            return new MetricsServer.Health(false, "{\"status\":\"down\",\"database\":\"unreachable\"}\n");
        } catch (RuntimeException e) {
            return new MetricsServer.Health(false, "{\"status\":\"down\",\"database\":\"failing\"}\n");
        }
    }

    /** TCP port of /metrics and /health. */
    public int metricsPort() {
        return metricsServer.port();
    }

    /** Stops what runs, in the reverse order of starting; also what a failed start leaves behind. */
    @Override
    public void close() {
        for (AutoCloseable part : new AutoCloseable[] {
            clockwork == null ? null : clockwork::shutdownNow,
            otherHubs,
            federation,
            metricsServer,
            api,
            router,
            gateway,
            commits,
            database
        }) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    LOG.warn("stopping {}: {}", part.getClass().getSimpleName(), e.getMessage());
                }
            }
        }
    }

    private static void createPrivateDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the hub data directory " + dir, e);
        }
    }
}
