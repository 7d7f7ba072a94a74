package io.edgerent.hardware.firstday;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Raspberry Pi on this machine's LAN, wired as a hardware CI lab wires one: its card in an SD card
 * multiplexer (SDWire, sd-mux: this machine writes the card, then hands it to the Pi), its power through a
 * switch this machine drives (a relay, a smart plug, uhubctl), its serial console (GPIO 14/15) on a USB UART
 * here. The hub runs on this machine, on every address; the tools run here too. What each part is, is the
 * lab's: it is named by the environment ({@link #VARIABLES}), the commands run with {@code sh -c}.
 */
final class RealLab extends Lab {
    /** What the lab sets, and what each is. */
    static final Map<String, String> VARIABLES = variables();

    private static Map<String, String> variables() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("EDGERENT_PI_IMAGE", "the card image to provision: Raspberry Pi OS Lite (64-bit), uncompressed .img");
        v.put("EDGERENT_PI_CARD", "the Pi's card as this machine sees it through the SD mux, such as /dev/sda");
        v.put("EDGERENT_PI_CARD_TO_HOST", "a command handing the card to this machine, such as 'sd-mux-ctrl -e X -s'");
        v.put("EDGERENT_PI_CARD_TO_PI", "a command handing the card to the Pi, such as 'sd-mux-ctrl -e X -d'");
        v.put("EDGERENT_PI_POWER_ON", "a command powering the Pi on");
        v.put("EDGERENT_PI_POWER_OFF", "a command cutting the Pi's power at once");
        v.put(
                "EDGERENT_PI_CONSOLE",
                "the Pi's serial console (GPIO 14/15): a USB UART such as /dev/ttyUSB0, or a console server's log file");
        v.put("EDGERENT_PI_ADDRESS", "the Pi's address on the LAN (a DHCP reservation for its MAC)");
        v.put("EDGERENT_PI_HUB_HOST", "this machine's address as the Pi reaches it (the hub listens there)");
        return v;
    }

    private final Map<String, String> env;

    RealLab(Path dir, Path ownerKey, Map<String, String> env) throws IOException {
        super(dir, ownerKey);
        String reason = whyNot(env);
        if (reason != null) {
            throw new IllegalArgumentException(reason);
        }
        this.env = env;
        Files.createDirectories(dir);
        // A serial device is read at the Pi's 115200 baud; a file (a console server's log, ser2net's or
        // conserver's) is followed from its end.
        start(
                console,
                "sh",
                "-c",
                "if [ -c \"$0\" ]; then stty -F \"$0\" 115200 raw -echo && exec cat \"$0\";"
                        + " else exec tail -F -n 0 \"$0\"; fi",
                env.get("EDGERENT_PI_CONSOLE"));
    }

    /** Why this environment names no lab to run in, or null when it names one. */
    static String whyNot(Map<String, String> env) {
        List<String> missing = new ArrayList<>();
        VARIABLES.forEach((name, what) -> {
            if (env.getOrDefault(name, "").isBlank()) {
                missing.add(name + " (" + what + ")");
            }
        });
        if (missing.size() == VARIABLES.size()) {
            return "no real Pi lab named (set " + String.join(", ", VARIABLES.keySet())
                    + "; ./edgerent hardware-test --help says what each is)";
        }
        if (!missing.isEmpty()) {
            return "the real Pi lab is named in part; set " + String.join("; ", missing);
        }
        if (!Files.isRegularFile(Path.of(env.get("EDGERENT_PI_IMAGE")))) {
            return "EDGERENT_PI_IMAGE: no image file at " + env.get("EDGERENT_PI_IMAGE");
        }
        if (!env.get("EDGERENT_PI_CARD").startsWith("/dev/")) {
            return "EDGERENT_PI_CARD names a block device under /dev, not " + env.get("EDGERENT_PI_CARD");
        }
        return null;
    }

    @Override
    Path baseImage() {
        return Path.of(env.get("EDGERENT_PI_IMAGE"));
    }

    @Override
    String hubHost() {
        return env.get("EDGERENT_PI_HUB_HOST");
    }

    /**
     * Powers the Pi off, takes its card, writes {@code image} to it and hands it back. The image's config.txt
     * gets {@code enable_uart=1} first (the lab's console wire: Raspberry Pi OS leaves the UART off on the pins);
     * a card with a mounted partition is refused, so this never writes over a disk in use here.
     */
    @Override
    void flash(Path image) throws IOException, InterruptedException {
        powerCut();
        String boot = boot(image);
        Path config = dir.resolve("config.txt");
        run(Duration.ofSeconds(30), "mcopy", "-o", "-n", "-i", boot, "::/config.txt", config.toString())
                .assertOk();
        if (Files.readAllLines(config).stream().noneMatch(l -> l.strip().equals("enable_uart=1"))) {
            Files.writeString(config, "\n[all]\nenable_uart=1\n", java.nio.file.StandardOpenOption.APPEND);
            run(Duration.ofSeconds(30), "mcopy", "-o", "-i", boot, config.toString(), "::/config.txt")
                    .assertOk();
        }
        String card = env.get("EDGERENT_PI_CARD");
        shell("EDGERENT_PI_CARD_TO_HOST");
        await(Duration.ofSeconds(60), card + " to appear", () -> Files.exists(Path.of(card)));
        String mounted = run(Duration.ofSeconds(30), "lsblk", "-nro", "MOUNTPOINTS", card)
                .assertOk()
                .out()
                .strip();
        if (!mounted.isEmpty()) {
            throw new AssertionError(
                    card + " has mounted partitions (" + mounted + "): not the Pi's card; not written");
        }
        run(Duration.ofMinutes(30), "dd", "if=" + image, "of=" + card, "bs=4M", "conv=fsync", "status=none")
                .assertOk();
        shell("EDGERENT_PI_CARD_TO_PI");
    }

    @Override
    void powerOn() throws IOException, InterruptedException {
        shell("EDGERENT_PI_POWER_ON");
    }

    @Override
    void powerCut() throws IOException, InterruptedException {
        shell("EDGERENT_PI_POWER_OFF");
    }

    @Override
    List<String> onTheNetwork(List<String> command) {
        return command;
    }

    @Override
    String piHost() {
        return env.get("EDGERENT_PI_ADDRESS");
    }

    @Override
    int piSshPort() {
        return 22;
    }

    private void shell(String variable) throws IOException, InterruptedException {
        run(Duration.ofMinutes(2), "sh", "-c", env.get(variable)).assertOk();
    }
}
