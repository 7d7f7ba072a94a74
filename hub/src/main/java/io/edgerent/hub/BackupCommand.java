package io.edgerent.hub;

import io.edgerent.hub.api.coap.CoapApi;
import io.edgerent.hub.backup.Backups;
import io.edgerent.hub.backup.Manifest;
import io.edgerent.hub.identity.AdminSecret;
import io.edgerent.hub.store.Database;
import io.edgerent.link.CoapCall;
import io.edgerent.link.Dtls;
import io.edgerent.protocol.Cbor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgerent hub backup DIR}. H2 locks its file to the process that opened it, so a running hub's database is
 * copied by that hub: this command asks it over plain loopback CoAP, with the admin secret from the data directory.
 * A stopped hub's database it opens and copies itself; both take the same path through {@link Backups}.
 */
@Command(
        name = "backup",
        mixinStandardHelpOptions = true,
        versionProvider = HubMain.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        defaultValueProvider = HubSettings.Defaults.class,
        description = {
            "Backs up a hub into DIR, a new or empty directory: its database, copied while the hub runs and"
                    + " consistent (H2's online BACKUP: every change committed before it began, none in part), the hub"
                    + " key, the admin secret and the self-signed TLS identity (files for their owner only), and"
                    + " manifest.txt with each file's SHA-256, written last. `edgerent hub restore` brings the hub back.",
            "A running hub writes the backup itself, asked over plain CoAP on 127.0.0.1 with its admin secret: run this"
                    + " on the hub's machine, as the hub's user. A stopped hub's database this command copies itself.",
            "With --db the database is PostgreSQL's and not in the backup: back it up with pg_dump (README, Backup and"
                    + " restore); the backup then holds the hub's key and secrets."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:the backup was written (what it holds is listed)",
            " 2:refused or failed, and nothing left in DIR (the message says why)"
        })
final class BackupCommand implements Callable<Integer> {
    /** How long the hub may take to write a backup: a large database is copied at disk speed. */
    static final Duration HUB_ANSWER = Duration.ofMinutes(30);

    @Parameters(paramLabel = "DIR", description = "where the backup goes: a new or empty directory")
    Path dir;

    @Option(names = "--data", paramLabel = "DIR", description = "the hub's data directory (default ${DEFAULT-VALUE})")
    Path data;

    @Option(
            names = "--db",
            paramLabel = "URL",
            description = "the hub keeps its database in PostgreSQL (as its --db): back up its key and secrets only")
    String database;

    @Option(
            names = "--coap-port",
            paramLabel = "PORT",
            description = "the running hub's plain CoAP port on 127.0.0.1 (default ${DEFAULT-VALUE})")
    int coapPort;

    @Override
    public Integer call() {
        Path target = dir.toAbsolutePath().normalize();
        Manifest manifest;
        String how;
        if (database != null) {
            manifest = Backups.withoutDatabase(data).writeTo(target);
            how = "the database is PostgreSQL's and not in it: back it up with pg_dump (README, Backup and restore)";
        } else if (!Files.exists(data.resolve(Backups.DATABASE_FILE))) {
            throw new IllegalStateException("no hub database (" + Backups.DATABASE_FILE + ") in " + data
                    + ": is --data the hub's data directory? (with PostgreSQL, give its --db)");
        } else {
            Manifest copied;
            try (Database stopped = Database.embedded(data)) {
                copied = Backups.of(stopped, data).writeTo(target);
                how = "the hub was stopped; this command copied its database";
            } catch (Database.InUse running) {
                copied = throughHub(coapPort, data, target);
                how = "the running hub copied its database online";
            }
            manifest = copied;
        }
        System.out.printf("backed up into %s (%s):%n", target, how);
        for (Manifest.File f : manifest.files()) {
            System.out.printf("  %-20s %12d bytes  sha256 %s%n", f.name(), f.size(), f.sha256());
        }
        System.out.printf("  %s%nrestore with: edgerent hub restore %s --data NEWDIR%n", Manifest.FILE, target);
        return 0;
    }

    /** Asks the hub serving plain CoAP on 127.0.0.1:{@code port} to write a backup into {@code target}. */
    static Manifest throughHub(int port, Path data, Path target) {
        String secret;
        try {
            secret = Files.readString(data.resolve(AdminSecret.FILE)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "a hub holds the database in " + data + ", and asking it needs its " + AdminSecret.FILE
                            + ", which cannot be read (run this as the hub's user): " + e.getMessage(),
                    e);
        }
        String uri = "coap://127.0.0.1:" + port + "/" + CoapApi.BACKUP_PATH;
        CoapEndpoint endpoint = new CoapEndpoint.Builder()
                .setConfiguration(Dtls.plainConfiguration())
                .build();
        CoapClient client = new CoapClient(uri);
        client.setEndpoint(endpoint);
        client.setTimeout(HUB_ANSWER.toMillis());
        byte[] request = Cbor.encode(Map.of("secret", secret, "dir", target.toString()));
        try {
            byte[] answer = CoapCall.payload(client, c -> c.post(request, MediaTypeRegistry.APPLICATION_CBOR));
            return Manifest.parse(Cbor.decodeMap(answer).text("manifest"));
        } catch (CoapCall.Refused e) {
            throw new IllegalStateException("the hub did not back up: " + e.getMessage(), e);
        } catch (CoapCall.NoAnswer e) {
            throw new IllegalStateException(
                    "a hub holds the database in " + data + " but did not answer on " + uri + " (is --coap-port the"
                            + " hub's?): " + e.getMessage(),
                    e);
        } finally {
            endpoint.destroy();
        }
    }
}
