package io.edgerent.hub.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a backup holds, written last into its directory ({@code manifest.txt}), so a backup without one is an
 * unfinished one: the hub's version, when, the database kind and schema version, and each file with its size and
 * SHA-256, which restore checks before it writes anything.
 */
public record Manifest(String hubVersion, Instant created, String database, int schemaVersion, List<File> files) {
    public static final String FILE = "manifest.txt";
    private static final String HEADER = "edgerent hub backup 1";

    /** One file of the backup, by name in the backup directory. */
    public record File(String name, long size, String sha256) {
        public File {
            if (!name.matches("[A-Za-z0-9._-]+") || name.startsWith(".")) {
                throw new IllegalStateException("the manifest names a file '" + name + "' that no backup holds");
            }
        }

        /** The file {@code name} in {@code dir} as it is now. */
        static File of(Path dir, String name) {
            try (InputStream in = Files.newInputStream(dir.resolve(name))) {
                MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
                byte[] buffer = new byte[1 << 16];
                long size = 0;
                for (int n; (n = in.read(buffer)) > 0; size += n) {
                    sha256.update(buffer, 0, n);
                }
                return new File(name, size, HexFormat.of().formatHex(sha256.digest()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + dir.resolve(name), e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The manifest as its file holds it: one "key value" line each, then one "file SHA256 SIZE NAME" per file. */
    public String encode() {
        StringBuilder text = new StringBuilder(HEADER + "\n");
        text.append("hub-version ").append(hubVersion).append('\n');
        text.append("created ").append(created).append('\n');
        text.append("database ").append(database).append('\n');
        text.append("schema-version ").append(schemaVersion).append('\n');
        for (File f : files) {
            text.append("file ")
                    .append(f.sha256())
                    .append(' ')
                    .append(f.size())
                    .append(' ')
                    .append(f.name())
                    .append('\n');
        }
        return text.toString();
    }

    /** Reads {@code text}; a line out of place is an error naming it. */
    public static Manifest parse(String text) {
        String[] lines = text.split("\n");
        if (lines.length < 5 || !lines[0].equals(HEADER)) {
            throw new IllegalStateException(
                    "not an edgerent hub backup manifest (its first line is not '" + HEADER + "')");
        }
        try {
            List<File> files = new ArrayList<>();
            for (int i = 5; i < lines.length; i++) {
                String[] f = lines[i].split(" ");
                if (f.length != 4 || !f[0].equals("file") || !f[1].matches("[0-9a-f]{64}")) {
                    throw new IllegalStateException(
                            "the manifest's line " + (i + 1) + " is not 'file SHA256 SIZE NAME'");
                }
                files.add(new File(f[3], Long.parseLong(f[2]), f[1]));
            }
            return new Manifest(
                    value(lines, 1, "hub-version"),
                    Instant.parse(value(lines, 2, "created")),
                    value(lines, 3, "database"),
                    Integer.parseInt(value(lines, 4, "schema-version")),
                    List.copyOf(files));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalStateException("the manifest does not read: " + e.getMessage(), e);
        }
    }

    private static String value(String[] lines, int index, String key) {
        if (!lines[index].startsWith(key + " ")) {
            throw new IllegalStateException("the manifest's line " + (index + 1) + " is not '" + key + " ...'");
        }
        return lines[index].substring(key.length() + 1);
    }

    /** The manifest of the backup in {@code dir}; none there means no backup, or one that did not finish. */
    public static Manifest read(Path dir) {
        String text;
        try {
            text = Files.readString(dir.resolve(FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException(
                    "no " + FILE + " in " + dir + ": not a hub backup, or one that did not finish");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("the backup in " + dir + " is damaged: " + e.getMessage(), e);
        }
    }

    /** Refuses the backup in {@code dir} unless every file is there with the size and hash this manifest lists. */
    public void verify(Path dir) {
        for (File listed : files) {
            if (!Files.isRegularFile(dir.resolve(listed.name()))) {
                throw new IllegalStateException("the backup in " + dir + " is damaged: it lacks " + listed.name());
            }
            if (!File.of(dir, listed.name()).equals(listed)) {
                throw new IllegalStateException("the backup's " + listed.name() + " is not the file it was"
                        + " (its size or SHA-256 differs from " + FILE + "): the backup is damaged");
            }
        }
    }

    /** Whether the backup holds the database (a backup of a hub on PostgreSQL does not). */
    public boolean holdsDatabase() {
        return holds(Backups.DATABASE);
    }

    /** Whether the backup holds {@code name}. */
    public boolean holds(String name) {
        return files.stream().anyMatch(f -> f.name().equals(name));
    }
}
