package io.edgerent.hub.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Many small transactions run as one (group commit). Callers queue their work; one writer runs all
 * that is waiting in a single database transaction, each piece inside a savepoint, so a piece that
 * is refused leaves no trace and does not affect the others, and completes each caller's future only
 * once the transaction committed. A commit costs about the same for one piece as for hundreds, so the
 * busier the hub, the more each commit carries. Devices' heartbeats and usage reports and renters'
 * vouchers go this way.
 *
 * <p>A commit waits for as many pieces as the one before carried (at most {@link #GATHER}), or
 * {@link #GATHER_MILLIS} after the first arrived, whichever comes first. The embedded database writes
 * every commit as a new chunk of whole pages and keeps each chunk, on disk and as a record in memory,
 * for 45 s; a fleet's requests arrive spread out, one at a time, so without the wait nearly every
 * request was a commit of its own (10,000 devices: ~480 commits/s, ~20,000 chunks kept). Clients that
 * each wait for their answer before sending again (a renter's vouchers in a hurry) come back as many
 * as were answered, so waiting for the last commit's number does not make them wait out the time.
 */
public final class GroupCommit implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);
    static final int MAX_BATCH = 512;
    static final int GATHER = 8;
    static final long GATHER_MILLIS = 10;

    /** A caller's work, with the log context (MDC) it was queued in: what it logs names the caller's device or rental. */
    private record Pending<T>(Sql.Work<T> work, CompletableFuture<T> answer, Map<String, String> logContext) {
        void settle(Object outcome) {
            if (outcome instanceof Failed failed) {
                answer.completeExceptionally(failed.cause());
            } else {
                @SuppressWarnings("unchecked")
                T result = (T) outcome;
                answer.complete(result);
            }
        }
    }

    private record Failed(RuntimeException cause) {}

    private final Sql sql;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;
    /** Transactions committed, and the pieces they carried; only the writer writes them. */
    private volatile long commits;

    private volatile long pieces;

    public GroupCommit(Sql sql) {
        this.sql = sql;
        this.writer = new Thread(this::write, "group-commit");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues {@code work}; the future completes with its result once it is committed, or with why it was refused. */
    public <T> CompletableFuture<T> submit(Sql.Work<T> work) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        if (closed) {
            answer.completeExceptionally(new IllegalStateException("the hub is stopping"));
        } else {
            Map<String, String> context = MDC.getCopyOfContextMap();
            queue.add(new Pending<>(work, answer, context == null ? Map.of() : context));
        }
        return answer;
    }

    private void write() {
        List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
        int expected = GATHER;
        while (!closed || !queue.isEmpty()) {
            try {
                Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                gather(batch, expected);
                expected = Math.min(GATHER, batch.size());
                store(batch);
            } catch (InterruptedException e) {
                batch.forEach(p -> p.answer().completeExceptionally(new IllegalStateException("the hub is stopping")));
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
    }

    /** Adds what is waiting to {@code batch}, waiting for more while it holds fewer than {@code expected} and time is left. */
    private void gather(List<Pending<?>> batch, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GATHER_MILLIS);
        queue.drainTo(batch, MAX_BATCH - batch.size());
        while (batch.size() < expected && !closed) {
            Pending<?> next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
            queue.drainTo(batch, MAX_BATCH - batch.size());
        }
    }

    private void store(List<Pending<?>> batch) {
        List<Object> outcomes;
        try {
            outcomes = sql.transaction(() -> {
                List<Object> results = new ArrayList<>(batch.size());
                for (Pending<?> pending : batch) {
                    results.add(runOne(pending));
                }
                return results;
            });
        } catch (RuntimeException e) {
            if (!(e instanceof DatabaseUnavailable)) { // that one Sql said once for the whole outage
                LOG.error("committing {} pieces of work failed; none was acknowledged", batch.size(), e);
            }
            batch.forEach(p -> p.answer().completeExceptionally(e));
            return;
        }
        commits++;
        pieces += batch.size();
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).settle(outcomes.get(i));
        }
    }

    public long commits() {
        return commits;
    }

    public long pieces() {
        return pieces;
    }

    /** One piece's result, or its refusal as {@link Failed}; a race lost with another hub fails the whole batch, which then runs again. */
    private Object runOne(Pending<?> pending) {
        MDC.setContextMap(pending.logContext());
        try {
            return sql.savepoint(pending.work());
        } catch (RuntimeException e) {
            if (sql.retryable(e)) {
                throw e;
            }
            return new Failed(e);
        } finally {
            MDC.clear();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
