package io.edgerent.client;

import io.edgerent.protocol.ChannelStatus;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.Voucher;
import java.io.PrintStream;
import java.security.KeyPair;
import java.time.Duration;

/**
 * Streams a rental's vouchers: every interval it promises what is due plus two intervals ahead
 * (never more than the deposit), and shows one status line. It stops when the rental ends. A hub
 * that does not answer costs an interval; given several hubs of one fleet, the next voucher goes to
 * the next hub, signed for what that hub says the channel holds.
 *
 * <p>It signs only what the renter can check or chose ({@link RentalTerms}): the agreed price for the time since
 * renting by the renter's own clock, plus the egress cap. A hub that asks for more is not paid: the payer stops,
 * says why ({@link Overcharged}), and the rental pauses as any unpaid one does.
 */
public final class Payer {
    private final HubClient hub;
    private final KeyPair renter;
    private final String rental;
    private final RentalTerms terms;
    private final Duration every;
    private final PrintStream status;
    private final boolean live;
    private volatile boolean stopped;
    /** How often the first read of the channel is tried while the hub fails. */
    private static final int FIRST_STATUS_TRIES = 10;

    /** The hub asked for more than the renter agreed to: the payer signed nothing for it and stopped. */
    public static final class Overcharged extends RuntimeException {
        public Overcharged(String message) {
            super(message);
        }
    }

    public Payer(
            HubClient hub,
            KeyPair renter,
            String rental,
            RentalTerms terms,
            Duration every,
            PrintStream status,
            boolean live) {
        this.hub = hub;
        this.renter = renter;
        this.rental = rental;
        this.terms = terms;
        this.every = every;
        this.status = status;
        this.live = live;
    }

    /** Pays until the rental is no longer preparing or active, or {@link #stop()}; returns the last status. */
    public ChannelStatus run() {
        ChannelStatus channel = firstStatus();
        long started = System.nanoTime();
        while (!stopped
                && (channel.state().equals(RentalView.PREPARING)
                        || channel.state().equals(RentalView.ACTIVE))) {
            try {
                channel = payOnce(channel);
                show(channel, Duration.ofNanos(System.nanoTime() - started));
            } catch (HubClient.HubUnreachableException e) {
                notAnswering(e);
            } catch (HubClient.HubRefusedException e) {
                // A failure of the moment (perhaps the voucher was stored all the same): the channel read after the
                // interval says which sequence comes next.
                if (!failedForNow(e)) {
                    // The rental may have ended (from another terminal, the web pages, its end time) between reading
                    // its channel and paying: that ends the payments and is no failure. Any other refusal is one.
                    channel = hub.channel(renter, rental);
                    if (channel.state().equals(RentalView.PREPARING)
                            || channel.state().equals(RentalView.ACTIVE)) {
                        throw e;
                    }
                    continue;
                }
            }
            sleep();
            if (!stopped) {
                try {
                    channel = hub.channel(renter, rental);
                } catch (HubClient.HubUnreachableException e) {
                    notAnswering(e);
                } catch (HubClient.HubRefusedException e) {
                    if (!failedForNow(e)) {
                        throw e;
                    }
                }
            }
        }
        if (live) {
            status.println();
        }
        return channel;
    }

    /**
     * The channel as the first of the hubs that answers has it; the last one's silence ends the payments, as does a
     * hub that keeps failing (a linked hub behind it not answering) for {@link #FIRST_STATUS_TRIES} tries.
     */
    private ChannelStatus firstStatus() {
        for (int asked = 1, failed = 1; ; asked++) {
            try {
                return hub.channel(renter, rental);
            } catch (HubClient.HubRefusedException e) {
                if (failed++ >= FIRST_STATUS_TRIES || !failedForNow(e)) {
                    throw e;
                }
                sleep();
                if (stopped) {
                    throw e;
                }
            } catch (HubClient.HubUnreachableException e) {
                if (e instanceof HubClient.HubKeyMismatchException
                        || asked >= hub.hubs().size()) {
                    throw e;
                }
                status.println(rental + ": " + e.getMessage());
            }
        }
    }

    /**
     * One voucher if one is owed for {@code channel}: what is due plus two intervals ahead, never more than the deposit
     * or the renter's terms allow ({@link #bounded}); the first one always. Answers the channel after it.
     */
    public ChannelStatus payOnce(ChannelStatus channel) {
        long aheadSeconds = 2 * every.toSeconds();
        long target = Math.min(
                bounded(channel, aheadSeconds),
                Math.min(
                        channel.deposit(),
                        Math.max(
                                channel.paid(), channel.due() + channel.prices().forSeconds(aheadSeconds))));
        if (target > channel.paid() || channel.lastSequence() < 0) {
            return hub.pay(
                    Voucher.sign(renter, rental, target, channel.lastSequence() + 1, System.currentTimeMillis()));
        }
        return channel;
    }

    /**
     * The most the renter promises now ({@link RentalTerms#most}); a hub whose channel asks for a price or a cap other
     * than the agreed ones, or says more is due than that allows, is refused: {@link Overcharged}.
     */
    private long bounded(ChannelStatus channel, long aheadSeconds) {
        String refusal = terms.refusal(channel);
        long now = System.currentTimeMillis();
        long mostDue = terms.most(channel.prices(), now, 0);
        if (refusal == null && channel.due() > mostDue) {
            refusal = "the hub says " + channel.due() + " is due for rental " + rental + ", but "
                    + (now - terms.rentedAt()) / 1000 + " s since you rented it at "
                    + channel.prices().perHour() + " per hour, plus " + RentalTerms.TOLERANCE_SECONDS
                    + " s, plus your egress cap of " + terms.maxEgressBytes() + " bytes at "
                    + channel.prices().perGb() + " per GB, come to at most " + mostDue;
        }
        if (refusal != null) {
            throw new Overcharged(refusal + ". Nothing more was signed: the rental pauses unpaid; end it with"
                    + " `edgerent end " + rental + "` (you pay at most what you signed, " + channel.paid() + ")");
        }
        return terms.most(channel.prices(), now, aheadSeconds);
    }

    /** A last voucher for exactly what is due, so ending leaves the owner paid for the time used. */
    public void payWhatIsDue() {
        ChannelStatus channel = hub.channel(renter, rental);
        long due = Math.min(Math.min(channel.due(), channel.deposit()), bounded(channel, 0));
        if (due > channel.paid() && !channel.settled()) {
            hub.pay(Voucher.sign(renter, rental, due, channel.lastSequence() + 1, System.currentTimeMillis()));
        }
    }

    /**
     * A hub restarting, or the network gone for a moment: say so and keep trying (the payment grace
     * covers the gap). A hub showing another key is no moment's trouble: that ends the payments.
     */
    private void notAnswering(HubClient.HubUnreachableException e) {
        if (e instanceof HubClient.HubKeyMismatchException) {
            throw e;
        }
        tryingAgain(e.getMessage());
    }

    /**
     * Whether the hub's refusal is a failure of the moment (5.xx: it failed, or a linked hub behind it did not answer
     * in time): said, and tried again after the interval, as silence is. A 4.xx refusal is the hub's answer.
     */
    private boolean failedForNow(HubClient.HubRefusedException e) {
        if (e.codeClass != 5) {
            return false;
        }
        tryingAgain(e.getMessage());
        return true;
    }

    private void tryingAgain(String why) {
        if (live) {
            status.println();
        }
        status.println(rental + ": " + why + "; trying again in " + every.toSeconds() + " s");
    }

    public void stop() {
        stopped = true;
    }

    private void show(ChannelStatus c, Duration elapsed) {
        String line = String.format(
                "%s %s %s | due %d | paid %d | deposit %d | left %d | next voucher in %d s%s",
                rental,
                c.paused() ? "PAUSED" : c.state(),
                clock(elapsed),
                c.due(),
                c.paid(),
                c.deposit(),
                c.deposit() - c.paid(),
                every.toSeconds(),
                c.paused() ? " (payment behind: catching up)" : "");
        if (live) {
            status.print("\r" + line + "   ");
            status.flush();
        } else {
            status.println(line);
        }
    }

    private void sleep() {
        long end = System.nanoTime() + every.toNanos();
        while (!stopped && System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                stopped = true;
            }
        }
    }

    private static String clock(Duration d) {
        return String.format("%02d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
}
