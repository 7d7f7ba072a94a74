package io.edgerent.systemtests.support;

import static org.junit.jupiter.api.Assertions.fail;

import io.edgerent.client.ClientMain;
import io.edgerent.hub.Hub;
import io.edgerent.hub.config.HubConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A hub (in this JVM), a device (its own process, the real launcher on Felix), the renter's command
 * line and the real OpenSSH client, all on loopback and the local Docker engine.
 */
public final class World implements AutoCloseable {
    public static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    public static final Path DEVICE_JAR = ROOT.resolve("edge-bundles/launcher/target/edgerent-device.jar");
    public static final Path CLIENT_JAR = ROOT.resolve("client/target/edgerent-client.jar");
    /** How long a rental waits for its first voucher before it ends unserved, short so tests see it happen. */
    public static final Duration PAYMENT_GRACE = Duration.ofSeconds(3);

    public final Path dir;
    public final int coapPort = freeUdpPort();
    public final int coapsPort = freeUdpPort();
    public final int sshPort = freePort();
    public final int tunnelPort = freePortBlock(10);
    public final int httpPort = freePort();
    public final int httpsPort = freePort();
    /** Rentals' web servers answer at RENTAL.DOMAIN (resolved with curl --resolve) and at RENTAL.localhost. */
    public static final String DOMAIN = "hub.test";
    /** What devices and renters use: CoAP over DTLS. */
    public final String hubUri;
    /** Plain CoAP on loopback, for tests that send raw CoAP messages. */
    public final String plainHubUri;

    public Hub hub;
    public Process device;
    /** JVM options for the next device start, such as a failpoint. */
    public final List<String> deviceJvmOptions = new ArrayList<>();
    /** What the device's java command runs under, such as setpriv for a user other than root. */
    public final List<String> deviceCommandPrefix = new ArrayList<>();
    /** Devices this world registered; their containers are removed when it closes. */
    public final List<String> devices = new ArrayList<>();

    public World(Path dir) {
        this(dir, true);
    }

    /**
     * With {@code inThisJvm} false no hub is started: the test starts one elsewhere (an installed package) on this
     * world's ports, with its data directory's admin.secret copied to {@code dir/hub}.
     */
    public World(Path dir, boolean inThisJvm) {
        this.dir = dir;
        this.hubUri = "coaps://127.0.0.1:" + coapsPort;
        this.plainHubUri = "coap://127.0.0.1:" + coapPort;
        requireTools();
        if (inThisJvm) {
            startHub();
        }
    }

    public void startHub() {
        hub = Hub.start(HubConfig.builder()
                .dataDir(dir.resolve("hub"))
                .coapPort(coapPort)
                .coapsPort(coapsPort)
                .sshPort(sshPort)
                .tunnelPorts(tunnelPort, tunnelPort + 9)
                .offlineAfter(Duration.ofSeconds(10))
                .expiryCheck(Duration.ofSeconds(1))
                .paymentGrace(PAYMENT_GRACE)
                .federationRefresh(Duration.ofSeconds(2))
                .suspendLimit(Duration.ofMinutes(5))
                .httpPort(httpPort)
                .httpsPort(httpsPort)
                .domain(DOMAIN)
                .metrics("127.0.0.1", 0)
                .build());
    }

    public void stopHub() {
        hub.close();
    }

    /** Starts the device process; with a token it registers, without it resumes from its data directory. */
    public void startDevice(String token, String... more) {
        List<String> command = new ArrayList<>(deviceCommandPrefix);
        command.add("java");
        command.addAll(deviceJvmOptions);
        command.addAll(List.of(
                "-jar",
                DEVICE_JAR.toString(),
                "--hub",
                hubUri,
                "--data",
                dir.resolve("device").toString(),
                "--heartbeat",
                "1"));
        command.addAll(List.of(more));
        if (token != null) {
            command.addAll(List.of("--token", token));
        }
        try {
            device = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("device.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new AssertionError("cannot start the device launcher " + DEVICE_JAR, e);
        }
    }

    /** The device process's id (its java, which setpriv, when it is the prefix, becomes). */
    public long devicePid() {
        return device.pid();
    }

    /** Ends the device process abruptly, as a power cut would (SIGKILL). */
    public void killDevice() throws InterruptedException {
        device.destroyForcibly();
        device.waitFor(30, TimeUnit.SECONDS);
    }

    public String deviceLog() {
        try {
            return Files.readString(dir.resolve("device.log"));
        } catch (IOException e) {
            return "(no device log)";
        }
    }

    /** Records money a renter sent through the rail, as the hub operator does. */
    public void depositFor(Renter renter, long amount) {
        String account = cli(renter.home, "wallet")
                .assertOk()
                .out()
                .lines()
                .filter(l -> l.startsWith("account: "))
                .findFirst()
                .orElseThrow()
                .substring(9);
        cli(
                        dir,
                        "wallet",
                        "deposit",
                        account,
                        String.valueOf(amount),
                        "--ref",
                        "bank-" + System.nanoTime(),
                        "--admin-secret",
                        dir.resolve("hub/admin.secret").toString())
                .assertOk();
    }

    /** Runs an edgerent command in this JVM as a renter whose files live in {@code home}. */
    public Result cli(Path home, String... args) {
        return cliAt(hubUri, home, args);
    }

    /** Runs an edgerent command in this JVM against the hub at {@code hub}, as a renter whose files live in {@code home}. */
    public static Result cliAt(String hub, Path home, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--hub", hub));
        int code = new ClientMain(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        home)
                .run(all.toArray(String[]::new));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public String token(String owner) {
        Result r = cli(
                dir,
                "token",
                "--owner",
                owner,
                "--admin-secret",
                dir.resolve("hub/admin.secret").toString());
        r.assertOk();
        return r.out.strip();
    }

    /** Registers a device (with device options such as prices) and waits until it is listed free; returns its id. */
    public String registeredDevice(String... options) {
        startDevice(token("alice"), options);
        awaitTrue(
                Duration.ofSeconds(60),
                "the device to be listed free",
                () -> cli(dir, "market").out.contains(" free "));
        String device =
                cli(dir, "market").out.lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];
        devices.add(device);
        return device;
    }

    /** A renter: a home directory for their identity, and an OpenSSH key pair made by ssh-keygen. */
    public Renter renter(String name) {
        Path home = dir.resolve("renters").resolve(name);
        run(Duration.ofSeconds(20), "mkdir", "-p", home.toString()).assertOk();
        run(
                        Duration.ofSeconds(20),
                        "ssh-keygen",
                        "-q",
                        "-t",
                        "ed25519",
                        "-N",
                        "",
                        "-C",
                        name,
                        "-f",
                        home.resolve("id").toString())
                .assertOk();
        return new Renter(this, home);
    }

    public static Result run(Duration timeout, String... command) {
        return runWithInput(timeout, Path.of("/dev/null"), command);
    }

    /** Runs a command with a file as its standard input. */
    public static Result runWithInput(Duration timeout, Path input, String... command) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(input.toFile()))
                    .start();
            var out = p.getInputStream();
            var err = p.getErrorStream();
            var outText = new java.util.concurrent.CompletableFuture<String>();
            var errText = new java.util.concurrent.CompletableFuture<String>();
            new Thread(() -> outText.complete(read(out))).start();
            new Thread(() -> errText.complete(read(err))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                fail("timed out after " + timeout + ": " + String.join(" ", command));
            }
            return new Result(p.exitValue(), outText.get(), errText.get());
        } catch (IOException | InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    public static void awaitTrue(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** The address of a container on its network (a rental's bridge), as docker inspect gives it. */
    public static String containerAddress(String container) {
        return run(
                        Duration.ofSeconds(30),
                        "docker",
                        "inspect",
                        "-f",
                        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                        container)
                .assertOk()
                .out()
                .strip();
    }

    public static List<String> containersOf(String rental) {
        Result r = run(
                Duration.ofSeconds(30),
                "docker",
                "ps",
                "-aq",
                "--no-trunc",
                "--filter",
                "label=io.edgerent.rental=" + rental);
        r.assertOk();
        return r.out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** The machine must have what the tests use; the test command installs it, a developer may not have. */
    private static void requireTools() {
        if (!Files.isRegularFile(DEVICE_JAR)) {
            fail("the device launcher is not built: run `mvn package` at the repository root first (" + DEVICE_JAR
                    + ")");
        }
        for (String[] check : List.of(new String[] {"ssh", "-V"}, new String[] {"ssh-keygen", "-?"})) {
            try {
                new ProcessBuilder(check).redirectErrorStream(true).start().waitFor();
            } catch (IOException | InterruptedException e) {
                fail("the OpenSSH client is missing: apt-get install openssh-client (or run ./edgerent test as root)");
            }
        }
        try {
            if (new ProcessBuilder("docker", "image", "inspect", "edgerent/renter-base:latest")
                            .start()
                            .waitFor()
                    != 0) {
                fail("no Docker engine answering, or no renter image: run scripts/prereqs.sh and"
                        + " container-images/build.sh renter-base as root (./edgerent test does both)");
            }
        } catch (IOException | InterruptedException e) {
            fail("the docker client is missing: run scripts/prereqs.sh as root");
        }
    }

    /** A TCP port free now, below the ephemeral range (see {@link #freePortBlock}). */
    public static int freePort() {
        return freePortBlock(1);
    }

    /**
     * The first of {@code size} TCP ports free now, all below the kernel's ephemeral range, from which
     * outgoing connections take their local ports. A port a test gives a server is often bound again
     * later (a hub restarted, a tunnel port handed to a device); taken from the ephemeral range, an
     * outgoing connection may hold it by then ("Address already in use": a device's reverse tunnel
     * refused, a restarted hub's HTTP router failing to start).
     */
    public static int freePortBlock(int size) {
        return free(size, World::bindable);
    }

    /** A UDP port free now, below the ephemeral range, as {@link #freePortBlock} for TCP. */
    public static int freeUdpPort() {
        return free(1, port -> {
            try (DatagramSocket s = new DatagramSocket(port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** The lowest port of the kernel's ephemeral range; ports below it, from 10,000, are the tests'. */
    private static final int EPHEMERAL_LOW = ephemeralLow();

    private static int ephemeralLow() {
        try {
            // Files.readString gets a wrong length from /proc (it read "3" here); lines read to the end.
            int low = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .get(0)
                    .trim()
                    .split("\\s+")[0]);
            return low > 12_000 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768; // not Linux, or unreadable: Linux's default
        }
    }

    private static int free(int size, java.util.function.IntPredicate bindable) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int start = 10_000
                    + java.util.concurrent.ThreadLocalRandom.current()
                            .nextInt(Math.max(1, EPHEMERAL_LOW - 10_000 - size));
            if (java.util.stream.IntStream.range(start, start + size).allMatch(bindable)) {
                return start;
            }
        }
        throw new AssertionError("no " + size + " free ports in a row below " + EPHEMERAL_LOW);
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws Exception {
        if (device != null && device.isAlive()) {
            device.destroy();
            if (!device.waitFor(20, TimeUnit.SECONDS)) {
                device.destroyForcibly();
            }
        }
        if (hub != null) {
            hub.close();
        }
        // Kept for whoever reads a failure: target/device-logs/.
        Path logs = ROOT.resolve("system-tests/target/device-logs");
        Files.createDirectories(logs);
        if (Files.exists(dir.resolve("device.log"))) {
            Files.copy(
                    dir.resolve("device.log"),
                    logs.resolve(dir.getFileName() + ".log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        removeLeftovers(dir, devices);
    }

    /**
     * Ends a test's own processes (SIGTERM, then SIGKILL after 20 s), removes what its devices left, and
     * keeps every {@code *.log} in {@code dir} as target/device-logs/PREFIX-NAME for whoever reads a failure.
     */
    public static void stopAndKeepLogs(List<Process> processes, Path dir, List<String> devices, String prefix)
            throws Exception {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        removeLeftovers(dir, devices);
        Path logs = ROOT.resolve("system-tests/target/device-logs");
        Files.createDirectories(logs);
        try (var files = Files.list(dir)) {
            for (Path log : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.copy(
                        log,
                        logs.resolve(prefix + "-" + log.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Removes what stopped devices of a test left: their containers and networks (also of a rental left
     * half-prepared) and the volumes still mounted under {@code dir} (a real device erases them at its
     * next start).
     */
    static void removeLeftovers(Path dir, List<String> devices) throws IOException {
        for (String device : devices) {
            for (String id : run(
                            Duration.ofSeconds(30),
                            "docker",
                            "ps",
                            "-aq",
                            "--filter",
                            "label=io.edgerent.device=" + device)
                    .out
                    .lines()
                    .filter(l -> !l.isBlank())
                    .toList()) {
                run(Duration.ofSeconds(30), "docker", "rm", "-f", id);
            }
            for (String id : run(
                            Duration.ofSeconds(30),
                            "docker",
                            "network",
                            "ls",
                            "-q",
                            "--filter",
                            "label=io.edgerent.device=" + device)
                    .out
                    .lines()
                    .filter(l -> !l.isBlank())
                    .toList()) {
                run(Duration.ofSeconds(30), "docker", "network", "rm", id);
            }
        }
        for (String mountPoint : mountsUnder(dir)) {
            run(Duration.ofSeconds(30), "umount", mountPoint).assertOk();
        }
    }

    /**
     * The mount points below {@code dirs}, the last mounted first, so each can be unmounted in turn (a rental's
     * root is mounted on its volume).
     */
    public static List<String> mountsUnder(Path... dirs) throws IOException {
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mountPoint = line.split(" ")[4];
            if (Stream.of(dirs).anyMatch(d -> mountPoint.startsWith(d + "/"))) {
                mounts.add(mountPoint);
            }
        }
        Collections.reverse(mounts);
        return mounts;
    }

    public record Result(int code, String out, String err) {
        public Result assertOk() {
            if (code != 0) {
                fail("exit " + code + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }
}
