package io.edgerent.hub;

import io.edgerent.hub.backup.Backups;
import io.edgerent.hub.backup.Manifest;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.store.Database;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code edgerent hub restore DIR --data NEWDIR}: a hub brought back from {@code edgerent hub backup}. */
@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        versionProvider = HubMain.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Restores a hub from DIR, written by `edgerent hub backup`, into --data, a new or empty directory. The"
                    + " manifest and every file's SHA-256 are checked first: a damaged or unfinished backup is refused"
                    + " and nothing is written. Then the database and the hub's key and secrets are written, for their"
                    + " owner only, and the database is opened once to show it reads.",
            "A hub started on NEWDIR (edgerent hub --data NEWDIR) is the hub that was backed up: the same key, which"
                    + " devices and renters pin, and the same state. Stop the old hub first: two hubs with one key would"
                    + " both answer its devices.",
            "A backup of a hub on PostgreSQL holds its key and secrets only: restore the database with pg_restore"
                    + " (README, Backup and restore) and start the hub with the same --db."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:restored (the hub key is printed)",
            " 2:refused or failed, and nothing left in NEWDIR (the message says why)"
        })
final class RestoreCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "the backup: a directory `edgerent hub backup` wrote")
    Path backup;

    @Option(
            names = "--data",
            required = true,
            paramLabel = "NEWDIR",
            description = "the data directory to restore into: new or empty")
    Path data;

    @Override
    public Integer call() {
        Path target = data.toAbsolutePath().normalize();
        Manifest manifest = Backups.restore(backup.toAbsolutePath().normalize(), target);
        String database = "not in the backup (PostgreSQL: restore it with pg_restore)";
        if (manifest.holdsDatabase()) {
            try (Database restored = Database.embedded(target)) {
                database = "H2, schema version " + restored.schemaVersion();
            }
        }
        System.out.printf(
                "restored the backup of %s (hub %s) into %s: %s%ndatabase: %s%nhub key: %s%nstart it with: edgerent"
                        + " hub --data %s%n",
                manifest.created(),
                manifest.hubVersion(),
                target,
                manifest.files().stream().map(Manifest.File::name).collect(Collectors.joining(", ")),
                database,
                HubKey.loadOrCreate(target).openSsh(),
                target);
        return 0;
    }
}
