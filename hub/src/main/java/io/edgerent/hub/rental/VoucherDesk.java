package io.edgerent.hub.rental;

import io.edgerent.hub.payment.Channels;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Voucher;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where vouchers are accepted at volume. Signatures are checked on the caller's thread, in
 * parallel, against the channel's key (fixed for the channel's life, so kept here); the
 * verified vouchers are then stored by group commit. A voucher is acknowledged only after the
 * transaction holding it committed.
 */
public final class VoucherDesk {
    private final Services services;
    private final GroupCommit commits;
    private final Map<String, byte[]> renterKeys = new ConcurrentHashMap<>();

    public VoucherDesk(Services services, GroupCommit commits) {
        this.services = services;
        this.commits = commits;
    }

    /** Whether the channel is this hub's (a voucher for another is a passed rental's, or refused). */
    public boolean holds(String channel) {
        if (renterKeys.containsKey(channel)) {
            return true;
        }
        Optional<byte[]> key = services.payments().voucherKeyOf(channel);
        key.ifPresent(k -> renterKeys.putIfAbsent(channel, k));
        return key.isPresent();
    }

    /** Verifies the voucher now and completes with the channel's status once it is stored, or with the refusal. */
    public CompletableFuture<ChannelStatus> submit(Voucher voucher) {
        try {
            byte[] key = renterKeys.computeIfAbsent(
                    voucher.channel(),
                    rental -> services.payments()
                            .voucherKeyOf(rental)
                            .orElseThrow(() -> new RefusedException(
                                    ErrorCode.NOT_FOUND, "no channel " + rental + " on this hub")));
            Channels.requireSignature(voucher, key);
        } catch (RuntimeException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        return commits.submit(() -> services.payments().acceptVerifiedVoucher(voucher));
    }
}
