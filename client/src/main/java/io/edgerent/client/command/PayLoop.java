package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.client.Payer;
import io.edgerent.client.RentalTerms;
import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.RentalView;
import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Pays as you go until the rental ends; Ctrl-C (or SIGTERM) pays what is due, ends the rental and shows the settlement. */
final class PayLoop {
    private PayLoop() {}

    static int payUntilEnd(Context context, HubClient hub, KeyPair renter, String rental, int everySeconds) {
        RentalTerms terms = RentalTerms.load(context.home(), rental)
                .orElseThrow(() -> new UsageException("this machine did not rent " + rental
                        + ": pay from the machine (and EDGERENT_HOME) that rented it, which keeps what you agreed to"));
        Payer payer = new Payer(
                hub, renter, rental, terms, Duration.ofSeconds(everySeconds), context.err(), System.console() != null);
        CountDownLatch payerStopped = new CountDownLatch(1);
        CountDownLatch hookDone = new CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            payer.stop();
            try {
                payerStopped.await(5, TimeUnit.SECONDS);
                try {
                    payer.payWhatIsDue();
                } catch (Payer.Overcharged e) {
                    context.err().println("edgerent: not paying the last voucher: " + e.getMessage());
                }
                RentalView ended = hub.end(renter, rental);
                context.err().println("ended " + ended.name() + " (" + ended.state() + ")");
                Show.settlement(context.out(), hub.channel(renter, rental));
            } catch (RuntimeException | InterruptedException e) {
                context.err()
                        .println("edgerent: could not end " + rental + ": " + e.getMessage() + " (run: edgerent end "
                                + rental + ")");
            } finally {
                hookDone.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        ChannelStatus last;
        try {
            last = payer.run();
        } catch (RuntimeException failed) {
            // Paying failed (the message says why): the rental is left as it is, not ended by the hook at exit with a
            // client that is closed by then.
            payerStopped.countDown();
            if (!removeHook(onInterrupt)) {
                awaitQuietly(hookDone);
            }
            throw failed;
        }
        payerStopped.countDown();
        if (!removeHook(onInterrupt)) {
            // The hook ends the rental with this hub client, which must stay open until it is done.
            awaitQuietly(hookDone);
            return 0;
        }
        context.out().println("rental " + rental + " is " + last.state());
        Show.settlement(context.out(), hub.channel(renter, rental));
        return 0;
    }

    /** Whether the hook was removed; false once the JVM is shutting down, when it runs (or ran) instead. */
    private static boolean removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
            return true;
        } catch (IllegalStateException shuttingDown) {
            return false;
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
