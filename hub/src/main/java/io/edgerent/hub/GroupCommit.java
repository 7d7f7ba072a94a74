package io.edgerent.hub;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many small transactions run as one (group commit). Callers queue their work; one writer runs all
 * that is waiting in a single database transaction, each piece inside a savepoint, so a piece that
 * is refused leaves no trace and does not affect the others, and completes each caller's future only
 * once the transaction committed. A commit costs about the same for one piece as for hundreds, so the
 * busier the hub, the more each commit carries. Devices' heartbeats and usage reports and renters'
 * vouchers go this way.
 */
final class GroupCommit implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);
    static final int MAX_BATCH = 512;

    private record Pending<T>(Sql.Work<T> work, CompletableFuture<T> answer) {
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

    GroupCommit(Sql sql) {
        this.sql = sql;
        this.writer = new Thread(this::write, "group-commit");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues {@code work}; the future completes with its result once it is committed, or with why it was refused. */
    <T> CompletableFuture<T> submit(Sql.Work<T> work) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        if (closed) {
            answer.completeExceptionally(new IllegalStateException("the hub is stopping"));
        } else {
            queue.add(new Pending<>(work, answer));
        }
        return answer;
    }

    private void write() {
        List<Pending<?>> batch = new ArrayList<>(MAX_BATCH);
        while (!closed || !queue.isEmpty()) {
            try {
                Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                store(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
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
            LOG.error("committing {} pieces of work failed; none was acknowledged", batch.size(), e);
            batch.forEach(p -> p.answer().completeExceptionally(e));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).settle(outcomes.get(i));
        }
    }

    /** One piece's result, or its refusal as {@link Failed}; a race lost with another hub fails the whole batch, which then runs again. */
    private Object runOne(Pending<?> pending) throws SQLException {
        try {
            return sql.savepoint(pending.work());
        } catch (SQLException e) {
            if (sql.retryable(e)) {
                throw e;
            }
            return new Failed(new IllegalStateException("database: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            if (sql.retryable(e)) {
                throw e;
            }
            return new Failed(e);
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
