package io.edgerent.hub;

import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Voucher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where vouchers are accepted at volume. Signatures are checked on the caller's thread, in
 * parallel, against the channel's renter key (fixed for the channel's life, so kept here); one
 * writer then stores everything verified so far in a single transaction (group commit). A
 * voucher is acknowledged only after the transaction holding it committed.
 */
final class VoucherDesk implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VoucherDesk.class);
    static final int MAX_BATCH = 512;

    private record Pending(Voucher voucher, CompletableFuture<ChannelStatus> answer) {}

    private final Registry registry;
    private final Map<String, byte[]> renterKeys = new ConcurrentHashMap<>();
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;

    VoucherDesk(Registry registry) {
        this.registry = registry;
        this.writer = new Thread(this::write, "voucher-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Verifies the voucher now and completes with the channel's status once it is stored, or with the refusal. */
    CompletableFuture<ChannelStatus> submit(Voucher voucher) {
        try {
            byte[] key = renterKeys.computeIfAbsent(voucher.channel(), rental -> registry.renterKeyOf(rental).orElseThrow(
                    () -> new RefusedException(ErrorCode.NOT_FOUND, "no channel " + rental + " on this hub")));
            Channels.requireSignature(voucher, key);
        } catch (RuntimeException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        CompletableFuture<ChannelStatus> answer = new CompletableFuture<>();
        if (closed) {
            answer.completeExceptionally(new IllegalStateException("the hub is stopping"));
        } else {
            queue.add(new Pending(voucher, answer));
        }
        return answer;
    }

    private void write() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (!closed || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
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

    private void store(List<Pending> batch) {
        List<Registry.VoucherOutcome> outcomes;
        try {
            outcomes = registry.acceptVerifiedVouchers(batch.stream().map(Pending::voucher).toList());
        } catch (RuntimeException e) {
            LOG.error("storing {} vouchers failed; none was acknowledged", batch.size(), e);
            batch.forEach(p -> p.answer().completeExceptionally(e));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Registry.VoucherOutcome outcome = outcomes.get(i);
            if (outcome.refusal() != null) {
                batch.get(i).answer().completeExceptionally(outcome.refusal());
            } else {
                batch.get(i).answer().complete(outcome.status());
            }
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
