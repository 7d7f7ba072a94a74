package io.edgerent.hub.backup;

import io.edgerent.hub.identity.AdminSecret;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.identity.TlsIdentity;
import io.edgerent.hub.store.Database;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A hub's backups: its embedded database copied online and consistently (H2's {@code BACKUP}), and the files that
 * make it the same hub to its devices and its operator (the hub key, the admin secret, the self-signed TLS identity),
 * each readable by the owner only, then a {@link Manifest} written last. On PostgreSQL the database is pg_dump's to
 * copy, and a backup holds the files alone. Restoring checks every hash before it writes anything.
 */
public final class Backups {
    /** The embedded database as H2's BACKUP wrote it: a zip of its one file. */
    public static final String DATABASE = "database.zip";
    /** The embedded database's file, in that zip and in a data directory. */
    public static final String DATABASE_FILE = "hub.mv.db";
    /** Without these a restored hub would be a stranger to its devices (which pin its key) and its operator. */
    static final List<String> IDENTITY =
            List.of(HubKey.FILE, AdminSecret.FILE, TlsIdentity.SELF_SIGNED_CERTIFICATE, TlsIdentity.SELF_SIGNED_KEY);

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** Null when the database is PostgreSQL. */
    private final Database embedded;

    private final Path dataDir;

    private Backups(Database embedded, Path dataDir) {
        this.embedded = embedded;
        this.dataDir = dataDir;
    }

    /** The backups of the hub on {@code database} whose files are in {@code dataDir}. */
    public static Backups of(Database database, Path dataDir) {
        return new Backups(database.isPostgres() ? null : database, dataDir);
    }

    /** The backups of a hub whose database is PostgreSQL: its files only. */
    public static Backups withoutDatabase(Path dataDir) {
        return new Backups(null, dataDir);
    }

    /** Whether a backup holds the database (it does not on PostgreSQL). */
    public boolean holdsDatabase() {
        return embedded != null;
    }

    /**
     * Writes a backup into {@code dir}, new or empty, while the hub runs. Every file is synced before the manifest is
     * written, and the manifest before this returns; on a failure what was written is removed.
     */
    public Manifest writeTo(Path dir) {
        requireNewOrEmpty(dir, "a backup");
        if (!Files.isRegularFile(dataDir.resolve(HubKey.FILE))) {
            throw new IllegalStateException(
                    "no hub key (" + HubKey.FILE + ") in " + dataDir + ": is it the hub's data directory?");
        }
        Written written = new Written(dir);
        try {
            List<String> names = new ArrayList<>();
            if (embedded != null) {
                written.add(dir.resolve(DATABASE));
                embedded.backupTo(dir.resolve(DATABASE));
                names.add(DATABASE);
            }
            for (String name : IDENTITY) {
                if (Files.exists(dataDir.resolve(name))) {
                    written.add(dir.resolve(name));
                    Files.copy(dataDir.resolve(name), dir.resolve(name));
                    names.add(name);
                }
            }
            List<Manifest.File> files = new ArrayList<>();
            for (String name : names) {
                Files.setPosixFilePermissions(dir.resolve(name), OWNER_ONLY);
                sync(dir.resolve(name));
                files.add(Manifest.File.of(dir, name));
            }
            Manifest manifest = new Manifest(
                    version(),
                    Instant.now(),
                    embedded == null ? "postgresql" : "h2",
                    embedded == null ? 0 : embedded.schemaVersion(),
                    List.copyOf(files));
            written.add(dir.resolve(Manifest.FILE));
            writeSynced(dir.resolve(Manifest.FILE), manifest.encode());
            sync(dir);
            return manifest;
        } catch (IOException e) {
            written.remove();
            throw new UncheckedIOException("cannot write the backup into " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            written.remove();
            throw e;
        }
    }

    /**
     * Restores the backup in {@code backup} into {@code dataDir}, new or empty, after checking the manifest and every
     * file's hash: a damaged backup is refused before anything is written. A hub started on {@code dataDir} is the
     * hub that was backed up (on PostgreSQL, once pg_restore brought the database back).
     */
    public static Manifest restore(Path backup, Path dataDir) {
        Manifest manifest = Manifest.read(backup);
        manifest.verify(backup);
        for (Manifest.File f : manifest.files()) {
            if (!f.name().equals(DATABASE) && !IDENTITY.contains(f.name())) {
                throw new IllegalStateException("the backup holds " + f.name() + ", which no hub backup holds");
            }
        }
        if (!manifest.holds(HubKey.FILE)) {
            throw new IllegalStateException("the backup in " + backup + " holds no hub key (" + HubKey.FILE + ")");
        }
        if (manifest.database().equals("h2") != manifest.holds(DATABASE)) {
            throw new IllegalStateException("the backup's manifest says database " + manifest.database()
                    + " but the backup " + (manifest.holds(DATABASE) ? "holds" : "lacks") + " " + DATABASE);
        }
        if (manifest.holds(DATABASE)) {
            requireOnlyTheDatabaseFile(backup.resolve(DATABASE));
        }
        requireNewOrEmpty(dataDir, "a restore");
        Written written = new Written(dataDir);
        try {
            for (Manifest.File f : manifest.files()) {
                Path target = dataDir.resolve(f.name().equals(DATABASE) ? DATABASE_FILE : f.name());
                written.add(target);
                if (f.name().equals(DATABASE)) {
                    unzipDatabase(backup.resolve(DATABASE), target);
                } else {
                    Files.copy(backup.resolve(f.name()), target);
                }
                Files.setPosixFilePermissions(target, OWNER_ONLY);
                sync(target);
            }
            sync(dataDir);
            return manifest;
        } catch (IOException e) {
            written.remove();
            throw new UncheckedIOException("cannot restore into " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            written.remove();
            throw e;
        }
    }

    /** H2's zip holds the database's one file; anything else in it is not a backup this hub wrote. */
    private static void requireOnlyTheDatabaseFile(Path zip) {
        List<String> entries = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries.add(e.getName());
            }
        } catch (IOException e) {
            throw new IllegalStateException("the backup's " + DATABASE + " is not a readable zip: " + e.getMessage());
        }
        if (!entries.equals(List.of(DATABASE_FILE))) {
            throw new IllegalStateException(
                    "the backup's " + DATABASE + " holds " + entries + ", not the one file " + DATABASE_FILE);
        }
    }

    private static void unzipDatabase(Path zip, Path target) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip));
                OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
            in.getNextEntry();
            in.transferTo(out);
        }
    }

    /** Refuses {@code dir} unless it is missing (then made, for the owner only) or an empty directory. */
    private static void requireNewOrEmpty(Path dir, String what) {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException(dir + " is a file: " + what + " goes into a new or empty directory");
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                if (entries.iterator().hasNext()) {
                    throw new IllegalStateException(
                            dir + " is not empty: " + what + " goes into a new or empty directory");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + dir, e);
            }
        }
    }

    /** Writes {@code text} into a file for the owner only, synced, and in place at once (renamed into it). */
    private static void writeSynced(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(
                file.getParent(), ".manifest", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            sync(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Forces a file, or a directory's entries, to the disk. */
    private static void sync(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static String version() {
        String version = Backups.class.getPackage().getImplementationVersion();
        return version == null ? "(built from source)" : version;
    }

    /** What a backup or a restore wrote so far, removed again when it fails: a half-written one is never left. */
    private static final class Written {
        private final Path dir;
        private final boolean made;
        private final List<Path> files = new ArrayList<>();

        Written(Path dir) {
            this.dir = dir;
            this.made = !Files.exists(dir);
            try {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make the directory " + dir + ": " + e.getMessage(), e);
            }
        }

        void add(Path file) {
            files.add(file);
        }

        void remove() {
            try {
                for (int i = files.size() - 1; i >= 0; i--) {
                    Files.deleteIfExists(files.get(i));
                }
                if (made) {
                    Files.deleteIfExists(dir);
                }
            } catch (IOException e) {
                // The failure that brought us here is the one to report; this one only leaves a file behind.
            }
        }
    }
}
