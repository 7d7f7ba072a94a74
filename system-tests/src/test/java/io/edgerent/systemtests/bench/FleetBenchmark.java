package io.edgerent.systemtests.bench;

import io.edgerent.client.HubClient;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.Assignment;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.Voucher;
import io.edgerent.systemtests.support.Metrics;
import io.edgerent.systemtests.support.World;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;

/**
 * The fleet benchmark of issue 8. A fleet of simulated devices, each its own DTLS session (its own UDP
 * socket, loopback address and Ed25519 key, its threads shared: {@link FleetSockets}), heartbeats every 30 s,
 * reports usage every 60 s and observes its assignment, against a real hub process (registered, rented, on the embedded database) and against
 * {@link BareDtlsServer}, a bare Californium DTLS server with the same DTLS configuration, in the same
 * run. For each it prints the scheduled phase's requests/s and latency, the heap a device session
 * costs the server, and the saturated rate: the same request mix, a fixed number in flight, as fast
 * as answered, the two servers taking turns. The heap is read after a full GC once the requests'
 * exchanges expired, after a scheduled phase of the devices set up so far, with half the fleet and
 * with all of it: what the second half added, per device, is what one more session costs (the figure
 * held against the target). The whole growth per device, against the server before any device, also
 * counts what the server holds whatever the fleet's size.
 *
 * <p>Run with scripts/bench-fleet.sh [DEVICES [SCHEDULE_S [SATURATE_S [IN_FLIGHT]]]]; results in docs/benchmarks.md.
 * It also prints the hub's time per rental by tenth of the fleet (issue 33); {@code -Dfleet.rentalsOnly=true} stops
 * there.
 */
public final class FleetBenchmark {
    /**
     * Free rentals: the simulated renter sends only the first voucher (of 0), and a priced rental would pause after the
     * payment grace (120 s of billed time), for some devices inside the saturated phase and not for
     * others, a workload that changed from run to run. Metering is the same work at any price.
     */
    static final long PRICE = 0;

    static final String SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    /** Rounds of the saturated phase: in each, both servers take a slot, in turns (see {@link #benchmark}). */
    static final int ROUNDS = 4;

    /**
     * A server under test: its process, where the devices send their requests, and for the hub its
     * /metrics and its database file (null for the bare server and on PostgreSQL).
     */
    private record Server(String name, Process process, String base, URI metrics, Path database) {}

    /** What a server's scheduled phase and memory reading gave. */
    private record Scheduled(double rate, long p50, long p99, long failures, Memory memory) {}

    /** A server's heap after a full GC, and its bytes per class if histograms were asked for (else null). */
    private record Heap(long bytes, java.util.Map<String, Long> classes) {}

    /** Heap per device session: what the second half of the fleet added per device, and the whole growth per device. */
    private record Memory(long marginal, long average) {}

    /** A server's saturated phase so far: its slots' answers, failures and time. */
    private static final class Saturated {
        final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong next = new AtomicLong();
        double seconds;
        /** CPU the server used in its own slots, and in the other server's, in clock ticks. */
        long ticks;

        long ticksIdle;
        /** CPU the server used in its own slots by kind of thread ({@link ThreadCpu}), in clock ticks. */
        final java.util.Map<String, Long> ticksByThread = new java.util.TreeMap<>();

        /** The server's CPU time per answered request, in microseconds. */
        double cpuMicrosPerRequest() {
            return ticks * 1e6 / TICKS / latencies.size();
        }

        double rate() {
            return latencies.size() / seconds;
        }
    }

    /** One simulated device: its key, its DTLS endpoint, and what its hub assigned it. */
    static final class Device {
        final KeyPair key = Ed25519.generate();
        final CoapEndpoint endpoint;
        volatile String id;
        volatile String rental;
        /** When the device heard of its rental: its usage reports claim no more time online than since then. */
        volatile long rentedAt;

        long usageSequence;

        /** The version of its assignment last announced to it. */
        volatile long version = -1;
        /** Reads the device's assignment, as an agent does when its version changes. */
        private final Consumer<Device> changed;

        Device(
                FleetSockets sockets,
                Configuration configuration,
                InetSocketAddress address,
                ScheduledExecutorService main,
                ScheduledExecutorService secondary,
                Consumer<Device> changed)
                throws IOException {
            this.changed = changed;
            // As Dtls.clientEndpoint makes a device's, but with no thread of its own (FleetSockets).
            DTLSConnector connector =
                    sockets.connector(Dtls.connectorConfig(configuration, address, key, HubKeyCheck.any(), null));
            connector.setExecutor(main);
            endpoint = new CoapEndpoint.Builder()
                    .setConfiguration(configuration)
                    .setConnector(connector)
                    .build();
            endpoint.setExecutors(main, secondary);
            // Notifications after the first answer come here (Californium re-creates the observing exchange).
            endpoint.addNotificationListener((request, response) -> {
                if (response.isSuccess()) {
                    announced(response.getPayload());
                }
            });
            endpoint.start();
        }

        void announced(byte[] payload) {
            long announced = AssignmentVersion.decode(payload).version();
            if (announced != version) {
                version = announced;
                changed.accept(this);
            }
        }

        void assigned(byte[] payload) {
            Assignment a = Assignment.decode(payload);
            if (a.rental() != null && !a.rental().name().equals(rental)) {
                rentedAt = System.currentTimeMillis();
                rental = a.rental().name();
            }
        }
    }

    private final int inFlight;
    private final List<Device> fleet = new ArrayList<>();
    /** Where requests go: the server being set up or measured. */
    private volatile String base;
    /** The server's heap and class histogram before any device, read when it was started. */
    /** The server's heap before any device, and with half the fleet (after that half's scheduled phase). */
    private long heapBefore;

    private Heap heapHalf;
    private final int scheduleSeconds;
    /**
     * Wall time of the hub's rent requests (8 in flight) and their count, per tenth of the fleet (device index * 10 /
     * fleet size): a rental costing more as the hub holds more shows as a last tenth slower than the first (issue 33).
     */
    private final long[] rentNanos = new long[10];

    private final int[] rents = new int[10];
    /**
     * With {@code -Dfleet.rentalsOnly=true}, only the hub, only set up (registered and rented, with the first half's
     * scheduled phase): the rental path's figures, in a fraction of the whole run's time.
     */
    private static final boolean RENTALS_ONLY = Boolean.getBoolean("fleet.rentalsOnly");
    /**
     * With {@code -Dfleet.bareOnly=true}, only the bare server: the simulator at a fleet larger than a hub holds
     * ({@link #TUNNEL_PORT_MAX}).
     */
    private static final boolean BARE_ONLY = Boolean.getBoolean("fleet.bareOnly");
    /** With {@code -Dfleet.signedUsage=true}, usage reports signed as agents before issue 33 sent them. */
    private static final boolean SIGNED_USAGE = Boolean.getBoolean("fleet.signedUsage");

    /**
     * The hub's tunnel ports: every port below the kernel's ephemeral range (32768-60999 on Debian), the most a hub
     * takes. Each device holds two (its SSH and its HTTP tunnel's, docs/design.md), so one hub address holds at most
     * 15,872 devices, whatever its memory and CPU: the fleet's ceiling here.
     */
    static final int TUNNEL_PORT_MIN = 1024;

    static final int TUNNEL_PORT_MAX = 32767;

    /**
     * A device's heartbeat period, {@code -Dfleet.heartbeatSeconds} (30 s, the device's own; its usage report every
     * two). Longer for a fleet whose scheduled requests alone would saturate this machine (100,000 devices at 30 s are
     * 5,000 requests/s); the hub takes a device offline after 90 s unheard, so at most 60.
     */
    private static final long HEARTBEAT_MILLIS = Long.getLong("fleet.heartbeatSeconds", 30) * 1000;

    /** With {@code -Dfleet.postgres=true}, the hub's database: PostgreSQL from Debian's packages, started here. */
    private io.edgerent.hub.store.Postgres postgres;

    private FleetBenchmark(int inFlight, int scheduleSeconds) {
        this.inFlight = inFlight;
        this.scheduleSeconds = scheduleSeconds;
    }

    public static void main(String[] args) {
        try {
            benchmark(args);
            System.exit(0);
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    /**
     * The bare server first: set up, scheduled phase, memory; it then idles while the hub gets the same.
     * The saturated phase comes last, with both servers up and the fleet connected to both: after a
     * slot each to warm up, they take turns in {@link #ROUNDS} rounds of two slots of equal length, the
     * hub first in even rounds and the bare server first in odd ones (hub, bare, bare, hub, ...), so
     * that whatever disturbs the machine for a while falls on both alike. Measured one after the other
     * instead, the bare server's own figure moved by half between runs (2,475 to 3,643 requests/s at
     * 10,000 devices).
     */
    private static void benchmark(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        if (devices < 2) {
            throw new IllegalArgumentException("DEVICES must be at least 2: the fleet is set up in two halves");
        }
        long openFiles = openFilesLimit();
        if (devices + 2_000 > openFiles) {
            throw new IllegalArgumentException("DEVICES " + devices + " needs a socket each and this process may open "
                    + openFiles + " files (ulimit -n; scripts/bench-fleet.sh raises it where the hard limit allows)");
        }
        int ceiling = (TUNNEL_PORT_MAX - TUNNEL_PORT_MIN + 1) / 2;
        if (devices > ceiling && !BARE_ONLY) {
            throw new IllegalArgumentException("a hub holds at most " + ceiling + " devices (two tunnel ports each,"
                    + " all below the ephemeral range); DEVICES " + devices + " is more (-Dfleet.bareOnly=true"
                    + " runs the bare server alone, which has no such limit)");
        }
        int scheduleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int saturateSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int inFlight = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        Path dir = Files.createTempDirectory("fleet-bench");
        ScheduledExecutorService main = Executors.newScheduledThreadPool(2);
        ScheduledExecutorService secondary = Executors.newScheduledThreadPool(1);
        FleetSockets sockets = new FleetSockets(2);
        Configuration configuration = deviceConfiguration();
        FleetBenchmark bench = new FleetBenchmark(inFlight, scheduleSeconds);
        long fleetHeapBefore = usedHeapAfterGc();
        long[] udpLossBefore = udpLoss();
        long started = System.nanoTime();
        for (int i = 0; i < devices; i++) {
            bench.fleet.add(new Device(
                    sockets, configuration, FleetSockets.address(i), main, secondary, bench::readAssignment));
        }
        System.out.printf(
                "fleet: %d simulated devices, each its own DTLS endpoint and loopback address, made in %d s, %d"
                        + " threads in all; %d bytes of the fleet's heap per device before any handshake%n",
                devices,
                (System.nanoTime() - started) / 1_000_000_000L,
                Thread.activeCount(),
                (usedHeapAfterGc() - fleetHeapBefore) / devices);
        List<Server> servers = new ArrayList<>();
        try {
            if (RENTALS_ONLY) {
                Server hub = bench.hub(dir);
                servers.add(hub);
                bench.printRentsPerTenth();
                stopRecording(hub);
                return;
            }
            long slotNanos = saturateSeconds * 1_000_000_000L / ROUNDS;
            Server bare = bench.bareServer(dir);
            servers.add(bare);
            Scheduled bareScheduled = bench.scheduledAndMemory(bare);
            System.out.printf(
                    "fleet: %d bytes of the simulator's heap per device, connected and observing%n",
                    (usedHeapAfterGc() - fleetHeapBefore) / devices);
            if (BARE_ONLY) {
                Saturated saturated = new Saturated();
                bench.saturate(bare, new Saturated(), slotNanos);
                for (int round = 0; round < ROUNDS; round++) {
                    awaitQuiet(servers);
                    long before = cpuTicks(bare);
                    System.out.printf(
                            "saturated round %d: bare %.0f req/s%n",
                            round + 1, bench.saturate(bare, saturated, slotNanos));
                    saturated.ticks += cpuTicks(bare) - before;
                }
                stopRecording(bare);
                print("bare", devices, bareScheduled, saturated);
                System.out.printf("saturated, server CPU per request: bare %.0f us%n", saturated.cpuMicrosPerRequest());
                return;
            }
            Server hub = bench.hub(dir);
            servers.add(hub);
            Scheduled hubScheduled = bench.scheduledAndMemory(hub);

            Saturated hubSaturated = new Saturated();
            Saturated bareSaturated = new Saturated();
            // A slot each first, not counted: the scheduled phase leaves the code paths of a few hundred requests a
            // second warm.
            // The wall clock, for reading a flight recording's samples of this phase alone (scripts/jfr-stages.py
            // --from).
            System.out.printf(
                    "saturated phase from %s%n", java.time.LocalTime.now().withNano(0));
            System.out.printf(
                    "saturated warm-up: hub %.0f req/s, bare %.0f req/s%n",
                    bench.saturate(hub, new Saturated(), slotNanos), bench.saturate(bare, new Saturated(), slotNanos));
            long quietMillis = 0;
            long[] commitsBefore = commits(hub);
            for (int round = 0; round < ROUNDS; round++) {
                double hubRate = 0;
                double bareRate = 0;
                for (Server s : round % 2 == 0 ? List.of(hub, bare) : List.of(bare, hub)) {
                    // In case a server's work outlasts its slot (the hub's database writes, collections), each starts
                    // on a quiet machine.
                    quietMillis += awaitQuiet(servers);
                    boolean hubsSlot = s == hub;
                    Server other = hubsSlot ? bare : hub;
                    Saturated mine = hubsSlot ? hubSaturated : bareSaturated;
                    Saturated theirs = hubsSlot ? bareSaturated : hubSaturated;
                    long before = cpuTicks(s);
                    long otherBefore = cpuTicks(other);
                    java.util.Map<String, Long> threadsBefore =
                            ThreadCpu.of(s.process().pid());
                    double rate = bench.saturate(s, mine, slotNanos);
                    mine.ticks += cpuTicks(s) - before;
                    ThreadCpu.addGrowth(
                            mine.ticksByThread,
                            threadsBefore,
                            ThreadCpu.of(s.process().pid()));
                    theirs.ticksIdle += cpuTicks(other) - otherBefore;
                    if (hubsSlot) {
                        hubRate = rate;
                    } else {
                        bareRate = rate;
                    }
                }
                System.out.printf(
                        "saturated round %d: hub %.0f req/s, bare %.0f req/s, ratio %.2f%n",
                        round + 1, hubRate, bareRate, hubRate / bareRate);
            }
            System.out.printf(
                    "saturated: %.1f s waited for quiet before the slots; CPU of the server not in its slot: hub %.0f %%,"
                            + " bare %.0f %% of a core%n",
                    quietMillis / 1e3,
                    100.0 * hubSaturated.ticksIdle / TICKS / bareSaturated.seconds,
                    100.0 * bareSaturated.ticksIdle / TICKS / hubSaturated.seconds);
            long[] commitsAfter = commits(hub);
            System.out.printf(
                    "saturated: the hub committed %d times carrying %.1f requests each%n",
                    commitsAfter[0] - commitsBefore[0],
                    (commitsAfter[1] - commitsBefore[1]) / (double) Math.max(1, commitsAfter[0] - commitsBefore[0]));
            System.out.printf(
                    "saturated phase to %s%n", java.time.LocalTime.now().withNano(0));
            for (Server s : servers) {
                stopRecording(s);
            }
            bench.printRentsPerTenth();
            print("hub", devices, hubScheduled, hubSaturated);
            print("bare", devices, bareScheduled, bareSaturated);
            System.out.printf(
                    "saturated, server CPU per request: hub %.0f us, bare %.0f us (ratio bare/hub %.2f); in their slots the"
                            + " hub used %.0f %%, the bare server %.0f %% of a core%n",
                    hubSaturated.cpuMicrosPerRequest(),
                    bareSaturated.cpuMicrosPerRequest(),
                    bareSaturated.cpuMicrosPerRequest() / hubSaturated.cpuMicrosPerRequest(),
                    100.0 * hubSaturated.ticks / TICKS / hubSaturated.seconds,
                    100.0 * bareSaturated.ticks / TICKS / bareSaturated.seconds);
            System.out.printf(
                    "saturated, server CPU per request by thread: hub %s; bare %s%n",
                    ThreadCpu.perRequest(hubSaturated.ticksByThread, hubSaturated.latencies.size()),
                    ThreadCpu.perRequest(bareSaturated.ticksByThread, bareSaturated.latencies.size()));
            System.out.printf(
                    "ratio hub/bare: saturated req/s %.2f (target >= 0.8); scheduled p99 %.2f; heap per session: hub %d bytes"
                            + " (target <= 5120), bare %d bytes; averaged over the whole growth, hub %d, bare %d%n",
                    hubSaturated.rate() / bareSaturated.rate(),
                    (double) hubScheduled.p99() / bareScheduled.p99(),
                    hubScheduled.memory().marginal(),
                    bareScheduled.memory().marginal(),
                    hubScheduled.memory().average(),
                    bareScheduled.memory().average());
        } finally {
            long[] udpLoss = udpLoss();
            System.out.printf(
                    "datagrams lost on this machine during the run: %d not sent by the fleet (send buffer full), %d"
                            + " dropped by the kernel on a full receive buffer, %d on a full send buffer (/proc/net/snmp)%n",
                    FleetSockets.DROPPED.get(), udpLoss[0] - udpLossBefore[0], udpLoss[1] - udpLossBefore[1]);
            for (Server s : servers) {
                s.process().destroy();
                s.process().waitFor(60, TimeUnit.SECONDS);
            }
            bench.fleet.forEach(d -> d.endpoint.destroy());
            sockets.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
            main.shutdownNow();
            secondary.shutdownNow();
            if (bench.postgres != null) {
                bench.postgres.close();
            }
        }
    }

    /** Ends the server's flight recording, if {@code fleet.jfr} asked for one, into PREFIX-NAME.jfr. */
    private static void stopRecording(Server s) throws Exception {
        String jfr = System.getProperty("fleet.jfr");
        if (jfr != null) {
            run(
                    "jcmd",
                    String.valueOf(s.process().pid()),
                    "JFR.stop",
                    "name=fleet",
                    "filename=" + jfr + "-" + s.name() + ".jfr");
        }
    }

    /** The hub's time per rental in each tenth of the fleet, and the last tenth's against the first's. */
    private void printRentsPerTenth() {
        StringBuilder tenths = new StringBuilder();
        for (int t = 0; t < 10; t++) {
            tenths.append(String.format(" %.1f", perRentMillis(t)));
        }
        System.out.printf(
                "hub: ms per rental (8 in flight) by tenth of the fleet:%s; first tenth %.1f, last tenth %.1f, ratio"
                        + " last/first %.2f%n",
                tenths, perRentMillis(0), perRentMillis(9), perRentMillis(9) / perRentMillis(0));
    }

    private double perRentMillis(int tenth) {
        return rentNanos[tenth] / 1e6 / Math.max(1, rents[tenth]);
    }

    private static void print(String server, int devices, Scheduled scheduled, Saturated saturated) {
        System.out.printf(
                "%-5s %d devices | scheduled %.0f req/s, p50 %.1f ms, p99 %.1f ms, %d failed | saturated %.0f req/s,"
                        + " p99 %.1f ms, %d failed | heap per device session %d bytes (%d averaged)%n",
                server,
                devices,
                scheduled.rate(),
                scheduled.p50() / 1e6,
                scheduled.p99() / 1e6,
                scheduled.failures(),
                saturated.rate(),
                percentile(sorted(saturated.latencies), 99) / 1e6,
                saturated.failures.get(),
                scheduled.memory().marginal(),
                scheduled.memory().average());
    }

    /**
     * Starts a hub (embedded database, or PostgreSQL with {@code -Dfleet.postgres=true}), registers the
     * fleet with it, and rents every device: half the fleet, the heap read, then the other half.
     */
    private Server hub(Path dir) throws Exception {
        int coapsPort = World.freeUdpPort();
        int coapPort = World.freeUdpPort();
        int metricsPort = World.freePort();
        List<String> args = new ArrayList<>(List.of(
                "-jar",
                World.ROOT.resolve("hub/target/edgerent-hub.jar").toString(),
                "--data",
                dir.resolve("hub").toString(),
                "--coaps-port",
                String.valueOf(coapsPort),
                "--coap-port",
                String.valueOf(coapPort),
                "--ssh-port",
                "0",
                "--http-port",
                "0",
                "--https-port",
                "0",
                "--metrics",
                "127.0.0.1:" + metricsPort,
                "--tunnel-ports",
                TUNNEL_PORT_MIN + "-" + TUNNEL_PORT_MAX,
                "--payment-grace",
                "86400"));
        if (Boolean.getBoolean("fleet.postgres")) {
            postgres = io.edgerent.hub.store.Postgres.start();
            args.addAll(List.of("--db", postgres.newDatabase()));
        }
        Process hub = server(dir.resolve("hub.log"), "hub running", args.toArray(String[]::new));
        if (RENTALS_ONLY && System.getProperty("fleet.jfr") != null) {
            // Where the hub spends its time setting the fleet up (the whole run records from the scheduled phase on).
            run("jcmd", String.valueOf(hub.pid()), "JFR.start", "name=fleet");
        }
        Server server = new Server(
                "hub",
                hub,
                "coaps://127.0.0.1:" + coapsPort + "/",
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics"),
                postgres == null ? dir.resolve("hub/hub.mv.db") : null);
        try {
            inHalves(server, (from, to) -> setUpHub(server, dir, coapPort, from, to));
            return server;
        } catch (Exception | Error e) {
            hub.destroy();
            throw e;
        }
    }

    /** Registers and rents the fleet's devices {@code from} to {@code to}, the ones before already set up. */
    private void setUpHub(Server server, Path dir, int coapPort, int from, int to) throws Exception {
        List<Device> devices = fleet.subList(from, to);
        base = server.base();
        String secret = Files.readString(dir.resolve("hub/admin.secret")).strip();
        URI plain = URI.create("coap://127.0.0.1:" + coapPort);
        long started = System.nanoTime();
        List<String> tokens = parallel(
                devices.size(),
                8,
                () -> new HubClient(plain, 30_000),
                (client, i) -> client.issueToken(secret, "fleet"));
        AtomicInteger i = new AtomicInteger();
        throttled(
                devices,
                64,
                d -> post(
                                d,
                                Paths.DEVICES,
                                new Registration(
                                                tokens.get(i.getAndIncrement()),
                                                Ed25519.raw(d.key.getPublic()),
                                                new HardwareFacts(
                                                        4,
                                                        "Cortex-A72",
                                                        4L << 30,
                                                        32L << 30,
                                                        "aarch64",
                                                        "Raspberry Pi 4",
                                                        1000))
                                        .encode())
                        .thenAccept(answer ->
                                d.id = RegistrationAccepted.decode(answer).deviceId()));
        System.out.printf(
                "hub: %d devices registered (a DTLS handshake each) in %d s%n",
                devices.size(), (System.nanoTime() - started) / 1_000_000_000L);
        // Until rented, a device heartbeats as a free one (the bare server's rental name is not the hub's).
        devices.forEach(d -> {
            d.rental = null;
            d.version = -1;
        });
        // Setting up a large fleet takes longer than a device stays online unheard: the devices set up so far heartbeat
        // meanwhile
        // (not in the quiet wait between the halves: the first half may go offline then, which changes nothing at price
        // 0).
        ScheduledExecutorService alive = Executors.newScheduledThreadPool(1);
        for (int k = 0; k < to; k++) {
            Device d = fleet.get(k);
            alive.scheduleAtFixedRate(
                    () -> heartbeat(d), k * HEARTBEAT_MILLIS / to, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
        }
        observeAll(devices);
        KeyPair renter = Ed25519.generate();
        try (HubClient admin = new HubClient(plain, 30_000)) {
            admin.moveMoney(
                    secret,
                    "deposit",
                    "renter:" + HexFormat.of().formatHex(Ed25519.raw(renter.getPublic())),
                    20_000L * devices.size(),
                    "bench-" + from);
        }
        started = System.nanoTime();
        URI secure = URI.create(base);
        // In runs of the same tenth of the fleet, each timed.
        for (int first = from; first < to; ) {
            int tenth = first * 10 / fleet.size();
            int end = first;
            while (end < to && end * 10 / fleet.size() == tenth) {
                end++;
            }
            List<Device> run = fleet.subList(first, end);
            long runStarted = System.nanoTime();
            parallel(run.size(), 8, () -> new HubClient(secure, 30_000, renter, HubKeyCheck.any()), (client, k) -> {
                String rental = client.rent(renter, run.get(k).id, 1, SSH_KEY, PRICE, 10_000)
                        .name();
                // The hub tells the device once the rental's first voucher is stored (pay first), as
                // edgerent rent sends it with the rent: at price 0, a voucher of 0.
                return client.pay(Voucher.sign(renter, rental, 0, 0, System.currentTimeMillis()));
            });
            rentNanos[tenth] += System.nanoTime() - runStarted;
            rents[tenth] += run.size();
            first = end;
        }
        awaitAssigned(devices);
        alive.shutdownNow();
        System.out.printf(
                "hub: %d rentals made, each device told by its observation, in %d s%n",
                devices.size(), (System.nanoTime() - started) / 1_000_000_000L);
    }

    /**
     * Starts the bare server and connects the fleet to it, half, the heap read, then the other half. It
     * answers any device id, so the saturated phase later sends it the hub's ids and rentals.
     */
    private Server bareServer(Path dir) throws Exception {
        int port = World.freeUdpPort();
        Process bare = server(
                dir.resolve("bare.log"),
                "bare server on",
                "-cp",
                System.getProperty("java.class.path"),
                BareDtlsServer.class.getName(),
                String.valueOf(port));
        Server server = new Server("bare", bare, "coaps://127.0.0.1:" + port + "/", null, null);
        try {
            inHalves(server, (from, to) -> setUpBare(server, from, to));
            return server;
        } catch (Exception | Error e) {
            bare.destroy();
            throw e;
        }
    }

    /** Connects the fleet's devices {@code from} to {@code to} to the bare server, and has them observe. */
    private void setUpBare(Server server, int from, int to) throws Exception {
        List<Device> devices = fleet.subList(from, to);
        base = server.base();
        for (int i = from; i < to; i++) {
            fleet.get(i).id = String.format("d-%012x", i);
            fleet.get(i).rental = "r-000000000000";
            fleet.get(i).rentedAt = System.currentTimeMillis();
        }
        long started = System.nanoTime();
        throttled(devices, 64, d -> heartbeat(d).thenApply(x -> null));
        System.out.printf(
                "bare: %d devices connected (a DTLS handshake each) in %d s%n",
                devices.size(), (System.nanoTime() - started) / 1_000_000_000L);
        observeAll(devices);
    }

    /** The scheduled phase of the whole fleet, then the memory readings, of the server just set up. */
    private Scheduled scheduledAndMemory(Server server) throws Exception {
        long pid = server.process().pid();
        if (System.getProperty("fleet.jfr") != null) {
            // Where the server spends its time, to the end of the saturated phase: jfr print --events
            // jdk.ExecutionSample FILE.
            run("jcmd", String.valueOf(pid), "JFR.start", "name=fleet");
        }
        Phase phase = schedule(server, fleet);
        Heap all = quietHeap(server);
        String dumps = System.getProperty("fleet.heapDump");
        if (dumps != null) {
            // The whole fleet's heap, for reading who holds what (e.g. with a heap analyser), next to the histogram.
            run(
                    "jcmd",
                    String.valueOf(pid),
                    "GC.heap_dump",
                    Path.of(dumps, server.name() + ".hprof").toAbsolutePath().toString());
        }
        int n = fleet.size();
        int added = n - n / 2;
        if (all.classes() != null) {
            System.out.println(
                    server.name() + ": what a device session is made of (bytes per device, classes grown most from the"
                            + " half fleet to the whole, each read after its scheduled phase)");
            System.out.println(histogramGrowth(heapHalf.classes(), all.classes(), added));
        }
        long[] latencies = sorted(phase.latencies());
        System.out.printf(
                "%s: scheduled phase %d requests in %.0f s%n", server.name(), latencies.length, phase.seconds());
        return new Scheduled(
                latencies.length / phase.seconds(),
                percentile(latencies, 50),
                percentile(latencies, 99),
                phase.failures(),
                new Memory((all.bytes() - heapHalf.bytes()) / added, (all.bytes() - heapBefore) / n));
    }

    interface SetUp {
        void devices(int from, int to) throws Exception;
    }

    /**
     * Sets the fleet up on {@code server} in two halves, the same for both servers: the heap before any
     * device, the first half, its scheduled phase, the heap (what the whole fleet's is held against),
     * then the second half.
     */
    private void inHalves(Server server, SetUp setUp) throws Exception {
        heapBefore = heapAfterFullGc(server.process().pid());
        int half = fleet.size() / 2;
        setUp.devices(0, half);
        Phase phase = schedule(server, fleet.subList(0, half));
        System.out.printf(
                "%s: scheduled phase of the first half, %.0f req/s, %d failed%n",
                server.name(), phase.latencies().size() / phase.seconds(), phase.failures());
        heapHalf = RENTALS_ONLY ? null : quietHeap(server);
        setUp.devices(half, fleet.size());
    }

    /** What a scheduled phase gave: the answers' latencies, the requests unanswered, and its length. */
    private record Phase(ConcurrentLinkedQueue<Long> latencies, long failures, double seconds) {}

    /**
     * {@code devices} heartbeat every 30 s and report usage every 60 s (or {@link #HEARTBEAT_MILLIS} and twice it)
     * for {@link #scheduleSeconds},
     * spread evenly over the period, as a fleet that booted at random times is.
     */
    private Phase schedule(Server server, List<Device> devices) throws Exception {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong failures = new AtomicLong();
        ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
        long[] commitsBefore = commits(server);
        long[] lossBefore = udpLoss();
        long start = System.nanoTime();
        // When the slow answers (over SLOW_MILLIS) were sent, by second of the phase: the tail's shape in time.
        ConcurrentLinkedQueue<Long> slowSent = new ConcurrentLinkedQueue<>();
        int n = devices.size();
        for (int i = 0; i < n; i++) {
            Device d = devices.get(i);
            clock.scheduleAtFixedRate(
                    () -> record(heartbeat(d), latencies, failures, start, slowSent),
                    i * HEARTBEAT_MILLIS / n,
                    HEARTBEAT_MILLIS,
                    TimeUnit.MILLISECONDS);
            clock.scheduleAtFixedRate(
                    () -> record(usage(d), latencies, failures, start, slowSent),
                    i * 2 * HEARTBEAT_MILLIS / n,
                    2 * HEARTBEAT_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
        Thread.sleep(scheduleSeconds * 1000L);
        clock.shutdownNow();
        clock.awaitTermination(10, TimeUnit.SECONDS);
        Thread.sleep(2000);
        double seconds = (System.nanoTime() - start) / 1e9;
        printTail(server, latencies, slowSent, lossBefore);
        if (server.metrics() != null) {
            long[] commitsAfter = commits(server);
            long commits = commitsAfter[0] - commitsBefore[0];
            System.out.printf(
                    "%s: scheduled phase %.0f commits/s carrying %.1f requests each; %s%n",
                    server.name(),
                    commits / seconds,
                    (commitsAfter[1] - commitsBefore[1]) / (double) Math.max(1, commits),
                    server.database() == null
                            ? "database PostgreSQL"
                            : "database file " + (Files.size(server.database()) >> 20) + " MB");
        }
        return new Phase(latencies, failures.get(), seconds);
    }

    /** The sessions alone: the heap once the requests' exchanges have expired (60 s, Dtls.configuration). */
    private static Heap quietHeap(Server server) throws Exception {
        Thread.sleep(75_000);
        return heap(server.process().pid());
    }

    /** The hub's group commits so far and the requests they carried, from its /metrics; zeros for the bare server. */
    private static long[] commits(Server server) throws Exception {
        if (server.metrics() == null) {
            return new long[2];
        }
        String text = Metrics.metrics(server.metrics());
        return new long[] {
            Metrics.metric(text, "edgerent_database_commits_total"),
            Metrics.metric(text, "edgerent_database_commit_pieces_total")
        };
    }

    /** One slot of the saturated phase: the request mix, {@code inFlight} at once, as fast as answered; its rate. */
    private double saturate(Server server, Saturated saturated, long nanos) throws InterruptedException {
        base = server.base();
        int before = saturated.latencies.size();
        Semaphore finished = new Semaphore(0);
        long start = System.nanoTime();
        long end = start + nanos;
        for (int k = 0; k < inFlight; k++) {
            loop(saturated.next, end, saturated.latencies, saturated.failures, finished);
        }
        finished.acquire(inFlight);
        double seconds = (System.nanoTime() - start) / 1e9;
        saturated.seconds += seconds;
        return (saturated.latencies.size() - before) / seconds;
    }

    /** One of the saturated phase's chains: each answer sends the next request (two heartbeats to one usage report). */
    private void loop(
            AtomicLong next, long end, ConcurrentLinkedQueue<Long> latencies, AtomicLong failures, Semaphore finished) {
        if (System.nanoTime() > end) {
            finished.release();
            return;
        }
        long k = next.getAndIncrement();
        Device d = fleet.get((int) (k % fleet.size()));
        CompletableFuture<Long> answer = k % 3 == 2 ? usage(d) : heartbeat(d);
        answer.whenComplete((nanos, failure) -> {
            if (failure == null) {
                latencies.add(nanos);
            } else {
                failures.incrementAndGet();
            }
            loop(next, end, latencies, failures, finished);
        });
    }

    private static void record(
            CompletableFuture<Long> answer, ConcurrentLinkedQueue<Long> latencies, AtomicLong failures) {
        answer.whenComplete((nanos, failure) -> {
            if (failure == null) {
                latencies.add(nanos);
            } else {
                failures.incrementAndGet();
            }
        });
    }

    /** A scheduled phase's answers over this are counted by the second they were sent in. */
    private static final long SLOW_MILLIS = 100;

    /** As {@link #record(CompletableFuture, ConcurrentLinkedQueue, AtomicLong)}, noting when slow answers were sent. */
    private static void record(
            CompletableFuture<Long> answer,
            ConcurrentLinkedQueue<Long> latencies,
            AtomicLong failures,
            long phaseStart,
            ConcurrentLinkedQueue<Long> slowSent) {
        record(answer, latencies, failures);
        answer.thenAccept(nanos -> {
            if (nanos > SLOW_MILLIS * 1_000_000) {
                slowSent.add((System.nanoTime() - nanos - phaseStart) / 1_000_000_000L);
            }
        });
    }

    /**
     * A scheduled phase's tail: percentiles beyond p99, the seconds in which more than a few slow answers were sent
     * (evenly spread is load; bunched every few seconds is something periodic in the server), and the datagrams the
     * kernel dropped meanwhile (each costs its request a CoAP retransmission, two seconds or more).
     */
    private static void printTail(
            Server server,
            ConcurrentLinkedQueue<Long> latencies,
            ConcurrentLinkedQueue<Long> slowSent,
            long[] lossBefore)
            throws IOException {
        long[] sorted = sorted(latencies);
        java.util.TreeMap<Long, Integer> bySecond = new java.util.TreeMap<>();
        slowSent.forEach(second -> bySecond.merge(second, 1, Integer::sum));
        StringBuilder bunches = new StringBuilder();
        bySecond.forEach((second, count) -> {
            if (count >= 5) {
                bunches.append(' ').append(second).append("s:").append(count);
            }
        });
        long[] loss = udpLoss();
        System.out.printf(
                "%s: scheduled tail p90 %.1f, p95 %.1f, p99 %.1f, p99.9 %.1f, max %.1f ms; %d answers over %d ms, sent"
                        + " in seconds (5 or more):%s; kernel dropped %d datagrams meanwhile%n",
                server.name(),
                percentile(sorted, 90) / 1e6,
                percentile(sorted, 95) / 1e6,
                percentile(sorted, 99) / 1e6,
                percentile(sorted, 99.9) / 1e6,
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
                slowSent.size(),
                SLOW_MILLIS,
                bunches.length() == 0 ? " none" : bunches,
                loss[0] - lossBefore[0] + loss[1] - lossBefore[1]);
    }

    private CompletableFuture<Long> heartbeat(Device d) {
        String rental = d.rental;
        byte[] body = new Heartbeat(
                        rental == null ? DeviceState.LISTED : DeviceState.RENTED, rental, new Prices(PRICE, 0))
                .encode();
        return timed(post(d, Paths.DEVICES + "/" + d.id + "/" + Paths.HEARTBEAT, body));
    }

    private CompletableFuture<Long> usage(Device d) {
        long seq;
        synchronized (d) {
            seq = ++d.usageSequence;
        }
        String path = Paths.DEVICES + "/" + d.id + "/" + Paths.USAGE;
        // Online since the rental began, as a device counts it (the hub refuses a claim of more time than has passed).
        long online = (System.currentTimeMillis() - d.rentedAt) / 1000;
        // As the agent sends it over DTLS: the session authenticates it (a signed one is still taken, and verified).
        byte[] report = new UsageReport(d.rental, seq, online, online / 60, 64L << 20, seq * 1000, 0).encode();
        return timed(post(
                d,
                path,
                SIGNED_USAGE
                        ? SignedRequest.sign(d.key, path, System.currentTimeMillis(), report)
                                .encode()
                        : report));
    }

    private static CompletableFuture<Long> timed(CompletableFuture<byte[]> answer) {
        long sent = System.nanoTime();
        return answer.thenApply(x -> System.nanoTime() - sent);
    }

    private CompletableFuture<byte[]> post(Device d, String path, byte[] body) {
        Request request = Request.newPost();
        request.setURI(base + path);
        request.setPayload(body);
        request.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_CBOR);
        return send(d, request);
    }

    private static CompletableFuture<byte[]> send(Device d, Request request) {
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        request.addMessageObserver(new MessageObserverAdapter() {
            @Override
            public void onResponse(Response response) {
                if (response.isSuccess()) {
                    answer.complete(response.getPayload());
                } else {
                    answer.completeExceptionally(
                            new IllegalStateException(response.getCode() + " " + response.getPayloadString()));
                }
            }

            @Override
            protected void failed() {
                answer.completeExceptionally(new IllegalStateException("no answer"));
            }
        });
        d.endpoint.sendRequest(request);
        return answer;
    }

    /**
     * Every device observes its assignment's version; when it changes, the device reads its assignment, and
     * one naming a rental makes it a rented device.
     */
    private void observeAll(List<Device> devices) throws InterruptedException {
        throttled(devices, 256, d -> {
            Request request = Request.newGet();
            request.setURI(base + Paths.DEVICES + "/" + d.id + "/" + Paths.ASSIGNMENT_VERSION);
            request.setObserve();
            return send(d, request).thenAccept(d::announced);
        });
    }

    private void readAssignment(Device d) {
        Request request = Request.newGet();
        request.setURI(base + Paths.DEVICES + "/" + d.id + "/" + Paths.ASSIGNMENT);
        send(d, request).thenAccept(d::assigned);
    }

    private static void awaitAssigned(List<Device> devices) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (devices.stream().anyMatch(d -> d.rental == null)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        devices.stream().filter(d -> d.rental == null).count()
                                + " devices never heard of their rental through their observation");
            }
            Thread.sleep(200);
        }
    }

    /** Runs {@code work} for every device with at most {@code limit} at once; fails on the first failure. */
    private static void throttled(List<Device> devices, int limit, Function<Device, CompletableFuture<?>> work)
            throws InterruptedException {
        Semaphore slots = new Semaphore(limit);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (Device d : devices) {
            slots.acquire();
            CompletableFuture<?> f = work.apply(d);
            f.whenComplete((x, e) -> slots.release());
            all.add(f);
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    }

    interface Call<C, T> {
        T call(C client, int index) throws Exception;
    }

    /** {@code count} blocking calls spread over {@code threads} clients, each thread its own; the results in order. */
    private static <C extends AutoCloseable, T> List<T> parallel(
            int count, int threads, java.util.concurrent.Callable<C> clients, Call<C, T> call) throws Exception {
        List<T> results = new ArrayList<>(java.util.Collections.nCopies(count, null));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            done.add(pool.submit(() -> {
                try (C client = clients.call()) {
                    for (int i = first; i < count; i += threads) {
                        results.set(i, call.call(client, i));
                    }
                }
                return null;
            }));
        }
        for (var f : done) {
            f.get();
        }
        pool.shutdown();
        return results;
    }

    /**
     * The simulated devices' settings, one object for all: a device's (Dtls.configuration), with no receiver thread
     * (FleetSockets reads), room for its two connections (the hub and the bare server) rather than Californium's
     * 150,000, and a Pi's Ethernet MTU (the loopback's 64 KiB would let a handshake flight go unfragmented, as no
     * device's does).
     */
    private static Configuration deviceConfiguration() {
        Configuration c = Dtls.configuration(DtlsConfig.DtlsRole.CLIENT_ONLY);
        c.set(DtlsConfig.DTLS_RECEIVER_THREAD_COUNT, 0);
        c.set(DtlsConfig.DTLS_MAX_CONNECTIONS, 4);
        c.set(DtlsConfig.DTLS_MAX_TRANSMISSION_UNIT, 1500);
        return c;
    }

    /** How many files this process may open (its soft limit, which the JVM raised to the hard one: /proc/self/limits). */
    private static long openFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return Long.MAX_VALUE;
    }

    /** The kernel's UDP RcvbufErrors and SndbufErrors so far, all sockets of the machine (/proc/net/snmp). */
    private static long[] udpLoss() throws IOException {
        List<String> udp = Files.readAllLines(Path.of("/proc/net/snmp")).stream()
                .filter(l -> l.startsWith("Udp: "))
                .toList();
        List<String> names = Arrays.asList(udp.get(0).split(" "));
        String[] values = udp.get(1).split(" ");
        return new long[] {
            Long.parseLong(values[names.indexOf("RcvbufErrors")]), Long.parseLong(values[names.indexOf("SndbufErrors")])
        };
    }

    /** This JVM's heap in use after a collection (System.gc() is a full one under G1 unless disabled). */
    private static long usedHeapAfterGc() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /** Starts a server JVM with the same flags for both, and waits for the line saying it serves. */
    private static Process server(Path log, String ready, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        String cpus = System.getProperty("fleet.serverCpus");
        if (cpus != null) {
            // The server on cores of its own (run the fleet with taskset on the others), so the fleet cannot starve it.
            command.addAll(List.of("taskset", "-c", cpus));
        }
        // -Dfleet.serverHeap: 2 GiB holds 10,000 devices with room; 100,000 need more.
        command.addAll(List.of("java", "-Xmx" + System.getProperty("fleet.serverHeap", "2g"), "-XX:+UseG1GC"));
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // A benchmark stopped by a signal (Ctrl-C, kill) takes its servers with it.
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line;
        Files.writeString(log, "");
        while ((line = out.readLine()) != null && !line.contains(ready)) {
            Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.APPEND);
        }
        if (line == null) {
            throw new IllegalStateException("the server did not start; see " + log);
        }
        Thread drain = new Thread(() -> {
            try (var rest = Files.newBufferedWriter(log, java.nio.file.StandardOpenOption.APPEND)) {
                out.transferTo(rest);
            } catch (IOException ignored) {
                // the server ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /** Linux's clock ticks per second, the unit of /proc/PID/stat's CPU times. */
    static final int TICKS = 100;

    /** CPU time a server process has used, user and system, in clock ticks (/proc/PID/stat, fields 14 and 15). */
    private static long cpuTicks(Server server) {
        try {
            return ThreadCpu.ticks(Path.of("/proc/" + server.process().pid() + "/stat"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the CPU time of the " + server.name() + " server", e);
        }
    }

    /** Waits (at most 20 s) until no server used more than 4 % of a core in the last half second; how long it waited. */
    private static long awaitQuiet(List<Server> servers) throws InterruptedException {
        long start = System.nanoTime();
        while (System.nanoTime() - start < 20_000_000_000L) {
            long[] before = servers.stream().mapToLong(FleetBenchmark::cpuTicks).toArray();
            Thread.sleep(500);
            long[] after = servers.stream().mapToLong(FleetBenchmark::cpuTicks).toArray();
            boolean quiet = true;
            for (int i = 0; i < before.length; i++) {
                quiet &= after[i] - before[i] <= TICKS / 50;
            }
            if (quiet) {
                break;
            }
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** A JVM's heap after a full GC, and its class histogram if {@code fleet.histogram} is set. */
    private static Heap heap(long pid) throws Exception {
        return new Heap(heapAfterFullGc(pid), Boolean.getBoolean("fleet.histogram") ? histogram(pid) : null);
    }

    /** The heap a JVM uses after a full GC (jcmd, jstat): what its live objects take. */
    private static long heapAfterFullGc(long pid) throws Exception {
        run("jcmd", String.valueOf(pid), "GC.run");
        String[] lines = run("jstat", "-gc", String.valueOf(pid)).strip().split("\n");
        String[] names = lines[0].trim().split("\\s+");
        String[] values = lines[1].trim().split("\\s+");
        double kib = 0;
        for (int i = 0; i < names.length; i++) {
            if (List.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
                kib += Double.parseDouble(values[i]);
            }
        }
        return (long) (kib * 1024);
    }

    /** Bytes per class of a JVM's live objects (jcmd GC.class_histogram, which collects first). */
    private static java.util.Map<String, Long> histogram(long pid) throws Exception {
        java.util.Map<String, Long> bytes = new java.util.HashMap<>();
        for (String line :
                run("jcmd", String.valueOf(pid), "GC.class_histogram").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":")) {
                bytes.merge(f[3], Long.parseLong(f[2]), Long::sum);
            }
        }
        return bytes;
    }

    /** The 25 classes whose live bytes grew most, per device, and the sum of all growth. */
    private static String histogramGrowth(
            java.util.Map<String, Long> before, java.util.Map<String, Long> after, int devices) {
        StringBuilder out = new StringBuilder();
        long total = 0;
        List<java.util.Map.Entry<String, Long>> grown = new ArrayList<>();
        for (var e : after.entrySet()) {
            long growth = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            total += growth;
            grown.add(java.util.Map.entry(e.getKey(), growth));
        }
        grown.sort(java.util.Map.Entry.<String, Long>comparingByValue().reversed());
        for (var e : grown.subList(0, Math.min(25, grown.size()))) {
            out.append(String.format("  %8.1f  %s%n", (double) e.getValue() / devices, e.getKey()));
        }
        return out.append(String.format("  %8.1f  all classes%n", (double) total / devices))
                .toString();
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": " + out);
        }
        return out;
    }

    private static long[] sorted(ConcurrentLinkedQueue<Long> values) {
        long[] a = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p / 100))];
    }
}
