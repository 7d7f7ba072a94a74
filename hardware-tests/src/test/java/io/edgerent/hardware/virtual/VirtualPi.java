package io.edgerent.hardware.virtual;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A virtual Raspberry Pi on a network of its own: a network namespace made for it, holding only loopback
 * (with 10.0.2.2, the address the Pi's user-mode network gives this machine), the hub as its own process,
 * and qemu-system-aarch64 booting the card (virtual-pi/boot.sh). Whatever runs here to reach the hub or the
 * Pi (provisioning, the renter's client and OpenSSH) runs in that namespace too; the Pi reaches nothing else.
 */
final class VirtualPi implements AutoCloseable {
    static final Path ROOT = Path.of(System.getenv().getOrDefault("EDGERENT_ROOT", ".."))
            .toAbsolutePath()
            .normalize();
    /** This machine as the Pi sees it (qemu's user-mode network), and the hub's address in the namespace. */
    static final String HOST = "10.0.2.2";

    static final int COAPS_PORT = 5684;
    static final int SSH_PORT = 2222;
    /** 127.0.0.1:PI_SSH in the namespace is the Pi's sshd, for the owner's key. */
    static final int PI_SSH = 2200;

    final Path dir;
    final String netns;
    final Path console;
    private final List<Process> processes = new ArrayList<>();
    private Process hub;
    private Process pi;

    VirtualPi(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        this.netns = "edgerent-vpi-" + ProcessHandle.current().pid();
        this.console = dir.resolve("console.log");
        run(Duration.ofSeconds(10), "ip", "netns", "add", netns).assertOk();
        run(Duration.ofSeconds(10), "ip", "-n", netns, "link", "set", "lo", "up")
                .assertOk();
        run(Duration.ofSeconds(10), "ip", "-n", netns, "addr", "add", HOST + "/32", "dev", "lo")
                .assertOk();
    }

    /** The card image: built by virtual-pi/build-image.sh, or its cached copy (the path it prints). */
    static Path baseImage() throws IOException, InterruptedException {
        Result built = run(
                Duration.ofMinutes(40),
                ROOT.resolve("hardware-tests/virtual-pi/build-image.sh").toString());
        built.assertOk();
        // Progress goes to stderr, merged here; the path is the last line.
        List<String> lines = built.out().strip().lines().toList();
        return Path.of(lines.get(lines.size() - 1));
    }

    String hubUri() {
        return "coaps://" + HOST + ":" + COAPS_PORT;
    }

    Path hubData() {
        return dir.resolve("hub");
    }

    /** Starts the hub in the namespace, on every address there, and waits for it to say it runs. */
    void startHub() throws IOException, InterruptedException {
        Path log = dir.resolve("hub.log");
        hub = start(
                log,
                "java",
                "-jar",
                ROOT.resolve("hub/target/edgerent-hub.jar").toString(),
                "--data",
                hubData().toString(),
                "--bind",
                "0.0.0.0",
                "--public-host",
                HOST,
                "--coaps-port",
                String.valueOf(COAPS_PORT),
                "--ssh-port",
                String.valueOf(SSH_PORT));
        await(
                Duration.ofSeconds(60),
                "the hub to start (" + log + ")",
                () -> read(log).contains("hub running"));
    }

    /** Stops the hub (its data stays): to the Pi, the hub is not there. */
    void stopHub() throws InterruptedException {
        hub.destroy();
        if (!hub.waitFor(30, TimeUnit.SECONDS)) {
            hub.destroyForcibly();
        }
        processes.remove(hub);
    }

    /** Powers the Pi on with {@code card}; boot.sh boots it again at each reboot. */
    void powerOn(Path card) throws IOException {
        pi = start(
                dir.resolve("boot.log"),
                ROOT.resolve("hardware-tests/virtual-pi/boot.sh").toString(),
                "--console",
                console.toString(),
                "--ssh",
                String.valueOf(PI_SSH),
                card.toString());
    }

    /** Pulls the plug: qemu ends at once, the guest gets no warning (boot.sh passes SIGTERM to qemu). */
    void powerCut() throws InterruptedException {
        if (pi != null) {
            pi.destroy();
            pi.waitFor(30, TimeUnit.SECONDS);
            pi = null;
        }
    }

    boolean isOn() {
        return pi != null && pi.isAlive();
    }

    /** A command on the Pi as root, over SSH with the owner's key (from provisioning). */
    Result onPi(Path ownerKey, String command) throws IOException, InterruptedException {
        return inNetns(
                Duration.ofSeconds(120),
                "ssh",
                "-i",
                ownerKey.toString(),
                "-p",
                String.valueOf(PI_SSH),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "IdentityAgent=none",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=20",
                "-o",
                "LogLevel=ERROR",
                "root@127.0.0.1",
                command);
    }

    /** A command inside the Pi's network namespace. */
    Result inNetns(Duration timeout, String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        all.addAll(List.of(command));
        return run(timeout, all.toArray(String[]::new));
    }

    /** The edgerent command line (the client jar) in the namespace, with {@code home} as EDGERENT_HOME. */
    Result edgerent(Path home, String... args) throws IOException, InterruptedException {
        return edgerent(Duration.ofSeconds(120), home, args);
    }

    /** Like {@link #edgerent(Path, String...)}, for commands that wait on the Pi (renting one under emulation). */
    Result edgerent(Duration timeout, Path home, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(
                "env",
                "EDGERENT_HOME=" + home,
                "java",
                "-jar",
                ROOT.resolve("client/target/edgerent-client.jar").toString()));
        all.addAll(List.of(args));
        all.addAll(List.of("--hub", hubUri()));
        return inNetns(timeout, all.toArray(String[]::new));
    }

    private Process start(Path log, String... command) throws IOException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        all.addAll(List.of(command));
        Process p = new ProcessBuilder(all)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        processes.add(p);
        return p;
    }

    @Override
    public void close() throws Exception {
        java.util.Collections.reverse(processes);
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        run(Duration.ofSeconds(10), "ip", "netns", "del", netns);
    }

    record Result(int code, String out) {
        Result assertOk() {
            if (code != 0) {
                throw new AssertionError("exit " + code + ": " + out);
            }
            return this;
        }
    }

    static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("edgerent-vpi", ".out");
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(
                        String.join(" ", command) + " did not finish in " + timeout + ": " + Files.readString(output));
            }
            return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Polls {@code condition} every 2 s until it holds, or fails naming {@code what}. */
    static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        await(timeout, Duration.ofSeconds(2), what, condition);
    }

    static void await(Duration timeout, Duration every, String what, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(every.toMillis());
        }
    }
}
