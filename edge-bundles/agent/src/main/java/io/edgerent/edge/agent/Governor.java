package io.edgerent.edge.agent;

import io.edgerent.edge.containers.ContainerException;
import io.edgerent.edge.containers.ContainerSpec;
import io.edgerent.edge.containers.RentalContainers;
import io.edgerent.edge.containers.RunningContainer;
import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.tunnels.TunnelSpec;
import io.edgerent.edge.tunnels.Tunnels;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.HomeProof;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RentalOrder;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.Template;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's state machine: unregistered → listed → preparing → rented → wiping → listed.
 *
 * <p>Every step runs on one thread, and the state is saved before the work of a step starts, so
 * after a crash the device redoes the interrupted step (each is idempotent) instead of guessing.
 * The hub's assignment (observed, and repeated in every heartbeat answer) says what should run;
 * the governor moves towards it.
 */
final class Governor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Governor.class);
    static final int CONTAINER_SSH_PORT = 22;

    /** Where the device keeps its state; a change makes a new governor. */
    record Settings(Path dataDir) {}

    /** Settings the running governor takes at once, without touching the rental it serves. */
    record Live(
            String registrationToken,
            int heartbeatSeconds,
            int usageSeconds,
            Prices prices,
            boolean listed,
            Availability hours,
            Set<Template> templates,
            String hubKeyPin,
            String region) {
        /** Whether the marketplace should offer the device for new rentals now. */
        boolean offeredAt(LocalTime time) {
            return listed && hours.contains(time);
        }
    }

    private final Settings settings;
    private volatile Live live;
    private ScheduledFuture<?> heartbeats;
    private final HubLink hub;
    private final RentalContainers containers;
    private final RentalVolumes volumes;
    private final Tunnels tunnels;
    private final KeyPair deviceKey;
    private final Path stateFile;
    private final WipeOutbox wipes;
    private final UsageMeter usage;
    private final AssignmentObservation observation;
    private final ScheduledExecutorService thread;
    private GovernorState state;
    /** The version of the assignment last followed, from a heartbeat's answer or a read after a notification. */
    private long followedVersion = -1;

    private volatile boolean closing;
    /** Whether the serving container is paused, as last applied; null until applied after a start. */
    private Boolean paused;
    /** The host the serving rental's tunnel goes to: the hub that answered when it was opened. */
    private String tunnelHost;

    Governor(
            Settings settings,
            Live live,
            HubLink hub,
            RentalContainers containers,
            RentalVolumes volumes,
            Tunnels tunnels) {
        this.settings = settings;
        this.live = live;
        this.hub = hub;
        this.containers = containers;
        this.volumes = volumes;
        this.tunnels = tunnels;
        this.deviceKey = hub.deviceKey();
        this.stateFile = settings.dataDir().resolve("governor.cbor");
        this.wipes = new WipeOutbox(hub, deviceKey, settings.dataDir().resolve("wipes"));
        this.usage = new UsageMeter(hub, deviceKey, containers);
        this.observation = new AssignmentObservation(hub, this::onNotification);
        this.state = GovernorState.load(stateFile);
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "edgerent-governor"));
    }

    /** Whether the hub has this start's home proof (sent with the first heartbeat it answered). */
    private boolean homeProven;

    void start() {
        LOG.info(
                "governor resumes in state {}{}",
                state.state(),
                state.rental() == null ? "" : " with " + state.rental().name());
        thread.execute(this::resume);
        scheduleHeartbeats();
    }

    /** New prices, listing or hours reach the hub with a heartbeat sent at once; a new interval applies from there. */
    void update(Live next) {
        Live previous = live;
        live = next;
        try {
            thread.execute(() -> {
                if (next.heartbeatSeconds() != previous.heartbeatSeconds()) {
                    heartbeats.cancel(false);
                    scheduleHeartbeats();
                }
                tick();
            });
        } catch (RejectedExecutionException e) {
            // Closing: the next governor starts with these settings.
        }
    }

    private void scheduleHeartbeats() {
        int seconds = live.heartbeatSeconds();
        heartbeats = thread.scheduleWithFixedDelay(this::tick, seconds, seconds, TimeUnit.SECONDS);
    }

    DeviceState state() {
        return state.state();
    }

    /** Finishes whatever step a restart interrupted. */
    private void resume() {
        guarded(() -> {
            switch (state.state()) {
                case UNREGISTERED -> register();
                case PREPARING, RENTED -> serve(state.rental());
                case WIPING -> wipe();
                case LISTED -> {}
            }
            tick();
        });
    }

    private void tick() {
        guarded(() -> {
            if (state.state() == DeviceState.UNREGISTERED) {
                register();
                return;
            }
            String id = state.registration().deviceId();
            byte[] proof = homeProven ? null : homeProof(id);
            Assignment assignment;
            try {
                assignment = hub.heartbeat(
                        id,
                        new Heartbeat(
                                state.state(),
                                state.rental() == null ? null : state.rental().name(),
                                live.prices(),
                                live.offeredAt(LocalTime.now()),
                                live.templates(),
                                live.region(),
                                proof));
                homeProven = true;
            } catch (HubLink.HubUnavailableException e) {
                observation.hubUnreachable(e.getMessage(), live.heartbeatSeconds());
                return;
            }
            // The hub forgets observers when it restarts: observe again once it is back, or at the hub that answers
            // now.
            observation.keepUp(id, assignment.version(), followedVersion);
            follow(assignment);
            if (state.state() == DeviceState.RENTED) {
                usage.reportWhenDue(id, state.rental().name(), live.usageSeconds(), Boolean.TRUE.equals(paused));
            }
            wipes.send(id);
        });
    }

    /**
     * This device's signature naming the hub it registered with its home ({@link HomeProof}), sent with its first
     * heartbeat after each start: the hub passes it on to linked hubs, which list this device only from its home.
     */
    private byte[] homeProof(String id) {
        try {
            return HomeProof.sign(deviceKey, id, state.registration().hubHostKey());
        } catch (RuntimeException notAHubKey) {
            LOG.warn(
                    "cannot sign a home proof for hub key '{}': {}",
                    state.registration().hubHostKey(),
                    notAHubKey.getMessage());
            return null;
        }
    }

    /** The hub announces version {@code version} of the assignment: read it, unless the heartbeats brought it already. */
    private void onNotification(long version) {
        try {
            thread.execute(() -> guarded(() -> {
                if (version == followedVersion) {
                    return;
                }
                Assignment assignment;
                try {
                    assignment = hub.assignment(state.registration().deviceId());
                } catch (HubLink.HubUnavailableException | HubLink.HubRefusedException e) {
                    LOG.info(
                            "assignment version {} announced but not read: {}; the next heartbeat brings it",
                            version,
                            e.getMessage());
                    return;
                }
                follow(assignment);
            }));
        } catch (RejectedExecutionException e) {
            // The governor is closing; the next one reads the assignment from its first heartbeat.
        }
    }

    private void register() {
        if (live.registrationToken().isBlank()) {
            LOG.warn(
                    "not registered: set the registration token from `edgerent token` in this device's agent settings");
            return;
        }
        try {
            // With a pin, the token is spent only at the hub that shows the pinned key, and kept only if it still does.
            if (!live.hubKeyPin().isEmpty() && !pinned(hub.hubKey())) {
                return;
            }
            var accepted = hub.register(new Registration(
                    live.registrationToken(),
                    Ed25519.raw(deviceKey.getPublic()),
                    HardwareProbe.measure(settings.dataDir())));
            if (!live.hubKeyPin().isEmpty() && !pinned(accepted.hubHostKey())) {
                return;
            }
            save(new GovernorState(DeviceState.LISTED, accepted, null));
            LOG.info("registered as {}", accepted.deviceId());
        } catch (HubLink.HubRefusedException e) {
            LOG.error("the hub refused the registration: {} (set a new token to try again)", e.getMessage());
        } catch (HubLink.HubUnavailableException e) {
            LOG.warn("{}; will retry registration", e.getMessage());
        }
    }

    private boolean pinned(String shown) {
        if (sameKey(live.hubKeyPin(), shown)) {
            return true;
        }
        LOG.error(
                "not registering: the hub at {} shows the SSH host key '{}', not the one pinned at provisioning ('{}');"
                        + " check the hub address, or clear the hub key setting if the hub's key really changed",
                hub.hub(),
                shown,
                live.hubKeyPin());
        return false;
    }

    /**
     * The key the hub must show in the DTLS handshake: the one pinned at provisioning, else the one
     * of the hub this device registered with; none before a first registration without a pin.
     */
    Optional<PublicKey> expectedHubKey() {
        String line = !live.hubKeyPin().isEmpty()
                ? live.hubKeyPin()
                : state.registration() != null ? state.registration().hubHostKey() : "";
        try {
            return line.isEmpty() ? Optional.empty() : Optional.of(SshKeys.ecdsaP256Key(line));
        } catch (MalformedMessageException e) {
            // A pin of another key type: no DTLS key can match it, and registration refuses it by name (pinned()).
            return Optional.empty();
        }
    }

    /** Whether two OpenSSH public key lines hold the same key (type and key; comments aside). */
    static boolean sameKey(String a, String b) {
        String[] x = a.strip().split("\\s+");
        String[] y = b.strip().split("\\s+");
        return x.length >= 2 && y.length >= 2 && x[0].equals(y[0]) && x[1].equals(y[1]);
    }

    /** Moves towards what the hub assigned: serve its rental, or wipe the one it no longer wants. */
    private void follow(Assignment assignment) {
        followedVersion = assignment.version();
        RentalOrder wanted = assignment.rental();
        RentalOrder current = state.rental();
        if (state.state() == DeviceState.WIPING) {
            wipe(); // a wipe that failed its checks, tried again
        }
        boolean serving = state.state() == DeviceState.PREPARING || state.state() == DeviceState.RENTED;
        if (serving && (wanted == null || !wanted.name().equals(current.name()))) {
            save(state.with(DeviceState.WIPING, current));
            wipe();
        }
        if (wanted != null && state.state() == DeviceState.LISTED) {
            save(state.with(DeviceState.PREPARING, wanted));
            heartbeatSoon();
            serve(wanted);
        } else if (wanted != null && state.state() == DeviceState.PREPARING) {
            // An earlier attempt failed (image missing, Docker or the hub's SSH port unreachable): try again, from
            // where it got.
            serve(wanted);
        } else if (wanted != null
                && state.state() == DeviceState.RENTED
                && !tunnels.isConnected(wanted.name())
                && containers.find(wanted.name()).isEmpty()) {
            LOG.warn("the container of {} is gone; starting a fresh one", wanted.name());
            serve(wanted);
        } else if (wanted != null
                && state.state() == DeviceState.RENTED
                && !tunnels.isConnected(wanted.name())
                && !hub.hub().getHost().equals(tunnelHost)) {
            // The tunnel is down and another of the fleet's hubs answers now: the renters' way in moves to it. A tunnel
            // still up stays where it is (any hub relays to it), so a request that merely went unanswered cuts no
            // session.
            LOG.info(
                    "the tunnel of {} is down and the hub at {} answers: {}",
                    wanted.name(),
                    hub.hub(),
                    tunnelHost == null ? "opening it there" : "the tunnel moves there");
            serve(wanted);
        }
        if (wanted != null
                && state.state() == DeviceState.RENTED
                && !Boolean.valueOf(wanted.paused()).equals(paused)) {
            // The hub pauses a rental whose payment lags and resumes it when payment catches up.
            if (wanted.paused()) {
                containers.pause(wanted.name());
            } else {
                containers.resume(wanted.name());
            }
            paused = wanted.paused();
        }
    }

    /** Starts (or finds) the rental's container and its tunnel, then reports the rental served. */
    private void serve(RentalOrder rental) {
        RunningContainer container = containers.start(new ContainerSpec(
                rental.name(),
                state.registration().deviceId(),
                rental.template(),
                rental.authorizedKeys(),
                rental.passwordSha256()));
        awaitUntil(
                () -> accepts(container.address(), container.sshPort()),
                30,
                "sshd in the container of " + rental.name());
        var reg = state.registration();
        List<TunnelSpec.Forward> forwards = new ArrayList<>();
        forwards.add(new TunnelSpec.Forward(reg.tunnelPort(), container.address(), container.sshPort()));
        if (reg.httpTunnelPort() != 0) {
            forwards.add(new TunnelSpec.Forward(reg.httpTunnelPort(), container.address(), container.httpPort()));
        }
        String host = hub.hub().getHost();
        tunnels.open(new TunnelSpec(
                rental.name(), host, reg.sshPort(), reg.hubHostKey(), reg.deviceId(), deviceKey, forwards));
        tunnelHost = host;
        awaitUntil(() -> tunnels.isConnected(rental.name()), 30, "the tunnel of " + rental.name());
        if (state.state() != DeviceState.RENTED) {
            save(state.with(DeviceState.RENTED, rental));
            LOG.info(
                    "serving {} from container {}",
                    rental.name(),
                    container.containerId().substring(0, 12));
            heartbeatSoon();
        }
    }

    /**
     * Erases the rental, journaling each step: tunnel closed, container removed,
     * volume locked, key destroyed, backing image deleted; then checks that nothing is left. Only a
     * verified wipe lists the device again; otherwise it stays unlisted and the next heartbeat retries.
     */
    private void wipe() {
        String rental = state.rental().name();
        WipeJournal journal = WipeJournal.open(wipes.dir(), rental);
        tunnels.close(rental);
        journal.step("tunnel closed");
        containers.remove(rental);
        journal.step("container removed");
        Failpoint.at("wipe.after-container");
        Erasure erasure = volumes.erase(rental);
        erasure.steps().forEach(journal::step);
        List<String> checks = new ArrayList<>(erasure.checks());
        boolean containerGone = containers.find(rental).isEmpty();
        checks.add("container: " + (containerGone ? "gone" : "still there"));
        if (!erasure.verified() || !containerGone) {
            journal.step("checks failed: " + String.join("; ", checks));
            throw new IllegalStateException("the wipe of " + rental + " did not verify (" + String.join("; ", checks)
                    + "); the device stays unlisted and tries again");
        }
        journal.finish(erasure.method(), checks, true);
        save(state.with(DeviceState.LISTED, null));
        paused = null;
        usage.reset();
        LOG.info("{} wiped ({}, verified); listed again", rental, erasure.method());
        heartbeatSoon();
    }

    private void heartbeatSoon() {
        thread.execute(this::tick);
    }

    private void save(GovernorState next) {
        next.save(stateFile);
        state = next;
    }

    /** Runs one step; a failure is logged and the next heartbeat tries again from the saved state. */
    private void guarded(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (closing) {
                // Settings changed or the device stops: the step was interrupted on purpose and is redone from the
                // saved state.
                LOG.debug("step interrupted by shutdown: {}", e.getMessage());
                return;
            }
            if (e instanceof ContainerException || e instanceof IllegalStateException) {
                // Failures this code describes itself (Docker refused, sshd or the tunnel not up in time): the message
                // says it all.
                LOG.error(
                        "governor step failed in state {}: {}; trying again at the next heartbeat",
                        state.state(),
                        e.getMessage());
            } else {
                LOG.error("governor step failed in state {}: {}", state.state(), e.getMessage(), e);
            }
        }
    }

    private static boolean accepts(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitUntil(BooleanSupplier condition, int seconds, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " was not ready within " + seconds + " s");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what);
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        observation.close();
        if (state.rental() != null) {
            // Tunnels close with the process; the container keeps running and is found again on restart.
            tunnels.close(state.rental().name());
        }
    }
}
