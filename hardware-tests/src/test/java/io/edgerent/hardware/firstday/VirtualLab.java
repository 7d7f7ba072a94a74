package io.edgerent.hardware.firstday;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtual Raspberry Pi on a network of its own: a network namespace made for it, holding only loopback
 * (with 10.0.2.2, the address the Pi's user-mode network gives this machine), the hub, and qemu-system-aarch64
 * booting the card (virtual-pi/boot.sh). Whatever runs here to reach the hub or the Pi (provisioning, the
 * renter's client and OpenSSH) runs in that namespace too; the Pi reaches nothing else. The card is an image
 * file: flashing it is taking that file as the card.
 */
final class VirtualLab extends Lab {
    /** This machine as the Pi sees it (qemu's user-mode network), and the hub's address in the namespace. */
    static final String HOST = "10.0.2.2";
    /** 127.0.0.1:PI_SSH in the namespace is the Pi's sshd. */
    static final int PI_SSH = 2200;

    final String netns;
    private Path card;
    private Process pi;

    VirtualLab(Path dir, Path ownerKey) throws IOException, InterruptedException {
        super(dir, ownerKey);
        this.netns = "edgerent-vpi-" + ProcessHandle.current().pid();
        run(Duration.ofSeconds(10), "ip", "netns", "add", netns).assertOk();
        run(Duration.ofSeconds(10), "ip", "-n", netns, "link", "set", "lo", "up")
                .assertOk();
        run(Duration.ofSeconds(10), "ip", "-n", netns, "addr", "add", HOST + "/32", "dev", "lo")
                .assertOk();
    }

    /** The card image: built by virtual-pi/build-image.sh, or its cached copy (the path it prints). */
    @Override
    Path baseImage() throws IOException, InterruptedException {
        Result built = run(
                Duration.ofMinutes(40),
                ROOT.resolve("hardware-tests/virtual-pi/build-image.sh").toString());
        built.assertOk();
        // Progress goes to stderr, merged here; the path is the last line.
        List<String> lines = built.out().strip().lines().toList();
        return Path.of(lines.get(lines.size() - 1));
    }

    @Override
    String hubHost() {
        return HOST;
    }

    @Override
    void flash(Path image) throws InterruptedException {
        powerCut();
        card = image;
    }

    /** Powers the Pi on with its card; boot.sh boots it again at each reboot, and ends at a power-off. */
    @Override
    void powerOn() throws IOException {
        pi = start(
                dir.resolve("boot.log"),
                ROOT.resolve("hardware-tests/virtual-pi/boot.sh").toString(),
                "--console",
                console.toString(),
                "--ssh",
                String.valueOf(PI_SSH),
                card.toString());
    }

    /** qemu ends at once (boot.sh passes SIGTERM on as SIGKILL) and has let go of the card when this returns. */
    @Override
    void powerCut() throws InterruptedException {
        if (pi != null) {
            stop(pi);
            pi = null;
        }
    }

    @Override
    List<String> onTheNetwork(List<String> command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        all.addAll(command);
        return all;
    }

    @Override
    String piHost() {
        return "127.0.0.1";
    }

    @Override
    int piSshPort() {
        return PI_SSH;
    }

    /** Read from the card's raw bytes (mtools), not through the Pi: what is on the card, whatever the Pi says. */
    @Override
    String bootFile(String name) throws IOException, InterruptedException {
        return run(Duration.ofSeconds(30), "mtype", "-i", boot(card), "::/" + name)
                .assertOk()
                .out();
    }

    @Override
    public void close() throws Exception {
        super.close();
        run(Duration.ofSeconds(10), "ip", "netns", "del", netns);
    }
}
