package io.edgerent.hub;

import io.edgerent.protocol.Names;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running hub: database, registry, CoAP API, SSH gateway and HTTP router, wired together. */
public final class Hub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    private final Database database;
    private final SshGateway gateway;
    private final HttpRouter router;
    private final CoapApi api;
    private final VoucherDesk vouchers;
    private final ScheduledExecutorService clockwork;

    private Hub(HubConfig config) {
        createPrivateDirectory(config.dataDir());
        database = Database.open(config.dataDir());
        Registry registry = new Registry(new Sql(database), config, Clock.systemUTC());
        gateway = new SshGateway(config, registry);
        router = new HttpRouter(config, registry, TlsIdentity.load(config));
        vouchers = new VoucherDesk(registry);
        api = new CoapApi(config, registry, vouchers, gateway, adminSecret(config.dataDir()), Clock.systemUTC());
        try {
            gateway.start();
            router.start();
            api.start();
        } catch (RuntimeException e) {
            api.close();
            router.close();
            gateway.close();
            vouchers.close();
            database.close();
            throw e;
        }
        clockwork = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "rental-expiry"));
        long every = config.expiryCheck().toMillis();
        clockwork.scheduleWithFixedDelay(() -> {
            try {
                int ended = registry.expire();
                if (ended > 0) {
                    LOG.info("{} rental(s) reached their end time", ended);
                }
            } catch (RuntimeException e) {
                LOG.error("ending expired rentals failed", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Starts a hub; it serves until {@link #close()}. */
    public static Hub start(HubConfig config) {
        return new Hub(config);
    }

    public int coapPort() {
        return api.port();
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

    @Override
    public void close() {
        clockwork.shutdownNow();
        api.close();
        router.close();
        gateway.close();
        vouchers.close();
        database.close();
    }

    /** The hub operator's secret for issuing tokens: created once, readable by the operator only. */
    static String adminSecret(Path dataDir) {
        Path file = dataDir.resolve("admin.secret");
        try {
            if (!Files.exists(file)) {
                Path tmp = Files.createTempFile(dataDir, "admin", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, Names.newSecret() + "\n");
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file, e);
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
