package io.edgerent.hardware.firstday;

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
 * Where an owner's first day is played: a hub on this machine, a Pi whose card this machine writes and whose
 * power it switches, and this machine's tools (provisioning, the renter's client and OpenSSH) on a network that
 * reaches both. {@link VirtualLab} is a Pi in qemu on a network namespace of its own; {@link RealLab} is a
 * Raspberry Pi on the LAN behind an SD card multiplexer and a power switch. {@link FirstDay} is the same test on
 * either.
 */
abstract class Lab implements AutoCloseable {
    static final Path ROOT = Path.of(System.getenv().getOrDefault("EDGERENT_ROOT", ".."))
            .toAbsolutePath()
            .normalize();

    static final int COAPS_PORT = 5684;
    static final int SSH_PORT = 2222;

    final Path dir;
    /** The owner's SSH key (provisioning authorizes it for root on the Pi). */
    final Path ownerKey;
    /** The Pi's serial console, as this machine keeps it. */
    final Path console;

    private final List<Process> processes = new ArrayList<>();
    private Process hub;

    Lab(Path dir, Path ownerKey) {
        this.dir = dir;
        this.ownerKey = ownerKey;
        this.console = dir.resolve("console.log");
    }

    /** A card image the lab's Pi boots, before provisioning. */
    abstract Path baseImage() throws IOException, InterruptedException;

    /** This machine's address as the Pi sees it: where the hub is, for the Pi and for the tools here. */
    abstract String hubHost();

    /** Writes {@code image} to the Pi's card, the Pi off; from now on the Pi boots what is on that card. */
    abstract void flash(Path image) throws IOException, InterruptedException;

    abstract void powerOn() throws IOException, InterruptedException;

    /** Pulls the plug: the Pi gets no warning. */
    abstract void powerCut() throws IOException, InterruptedException;

    /** {@code command} (its program and arguments) as it runs on the network that reaches the Pi and the hub. */
    abstract List<String> onTheNetwork(List<String> command);

    /** The Pi's address, as this machine reaches its sshd. */
    abstract String piHost();

    /** The port of the Pi's sshd, as this machine reaches it. */
    abstract int piSshPort();

    /** A file of the card's boot partition, read as the Pi now sees it (the Pi on). */
    String bootFile(String name) throws IOException, InterruptedException {
        return onPi("cat /boot/firmware/" + name).assertOk().out();
    }

    /** Shuts the Pi down from inside and waits until it has powered off. */
    void powerOff() throws IOException, InterruptedException {
        int before = count(read(console), "reboot: Power down");
        onPi("systemctl poweroff");
        await(
                Duration.ofMinutes(3),
                "the Pi to power off (console: " + console + ")",
                () -> count(read(console), "reboot: Power down") > before);
        powerCut();
    }

    String hubUri() {
        return "coaps://" + hubHost() + ":" + COAPS_PORT;
    }

    Path hubData() {
        return dir.resolve("hub");
    }

    /** Starts the hub on every address, and waits for it to say it runs. */
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
                hubHost(),
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
        stop(hub);
        processes.remove(hub);
    }

    /** A command on the Pi as root, over SSH with the owner's key. */
    Result onPi(String command) throws IOException, InterruptedException {
        return here(
                Duration.ofSeconds(120),
                "ssh",
                "-i",
                ownerKey.toString(),
                "-p",
                String.valueOf(piSshPort()),
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
                "root@" + piHost(),
                command);
    }

    /** A command on this machine, on the network that reaches the Pi and the hub. */
    Result here(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(timeout, onTheNetwork(List.of(command)).toArray(String[]::new));
    }

    /** The edgerent command line (the client jar), with {@code home} as EDGERENT_HOME. */
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
        return here(timeout, all.toArray(String[]::new));
    }

    /** Starts a process on the lab's network, its output appended to {@code log}; stopped at close. */
    Process start(Path log, String... command) throws IOException {
        Process p = new ProcessBuilder(onTheNetwork(List.of(command)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        processes.add(p);
        return p;
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    @Override
    public void close() throws Exception {
        java.util.Collections.reverse(processes);
        for (Process p : processes) {
            stop(p);
        }
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
        Path output = Files.createTempFile("edgerent-lab", ".out");
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

    /** The byte offset of a card's boot partition (its first FAT partition, as the Pi's boot ROM finds it). */
    static long bootOffset(Path card) throws IOException, InterruptedException {
        String table = run(Duration.ofSeconds(30), "sfdisk", "-d", card.toString())
                .assertOk()
                .out();
        return table.lines()
                        .filter(l -> l.matches(".* : start=.*type=(c|b|e|6)(,.*|\\s*)$"))
                        .map(l -> Long.parseLong(l.replaceAll(".*start=\\s*(\\d+).*", "$1")))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no FAT boot partition on " + card + ": " + table))
                * 512;
    }

    /** A card's boot partition, as mtools names it. */
    static String boot(Path card) throws IOException, InterruptedException {
        return card + "@@" + bootOffset(card);
    }

    static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
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
