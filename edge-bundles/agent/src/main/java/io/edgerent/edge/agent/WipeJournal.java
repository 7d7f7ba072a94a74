package io.edgerent.edge.agent;

import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.WipeRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The journal of a rental's wipe, saved after every step, so a wipe cut short by a crash or a power
 * loss goes on at the next start and its record keeps every step. A finished wipe leaves its record
 * here until the hub has it.
 */
final class WipeJournal {
    private final Path dir;
    private final String rental;
    private final long startedAt;
    private final List<String> steps;

    private WipeJournal(Path dir, String rental, long startedAt, List<String> steps) {
        this.dir = dir;
        this.rental = rental;
        this.startedAt = startedAt;
        this.steps = steps;
    }

    /** The journal of the rental's wipe: a new one, or the one an interrupted wipe left. */
    static WipeJournal open(Path dir, String rental) {
        Path file = dir.resolve(rental + ".journal");
        try {
            Files.createDirectories(dir);
            if (Files.exists(file)) {
                Fields f = Cbor.decodeMap(Files.readAllBytes(file));
                WipeJournal journal =
                        new WipeJournal(dir, rental, f.integer("started"), new ArrayList<>(f.texts("steps")));
                journal.step("wipe resumed after a restart");
                return journal;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the wipe journal " + file, e);
        }
        WipeJournal journal = new WipeJournal(dir, rental, System.currentTimeMillis(), new ArrayList<>());
        journal.step("wipe started");
        return journal;
    }

    /** Records a step done; it is on disk when this returns. */
    void step(String done) {
        steps.add(done);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("started", startedAt);
        m.put("steps", steps);
        write(dir.resolve(rental + ".journal"), Cbor.encode(m));
    }

    /** Ends the journal with its record, kept until the hub has it. */
    WipeRecord finish(String method, List<String> checks, boolean verified) {
        WipeRecord record =
                new WipeRecord(rental, startedAt, System.currentTimeMillis(), method, steps, checks, verified);
        write(dir.resolve(rental + ".record"), record.encode());
        try {
            Files.deleteIfExists(dir.resolve(rental + ".journal"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the wipe journal of " + rental, e);
        }
        return record;
    }

    /** Records of finished wipes the hub does not have yet. */
    static List<Path> unsent(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".record"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the wipe records in " + dir, e);
        }
    }

    private static void write(Path file, byte[] contents) {
        try {
            DurableFile.write(file, contents);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
