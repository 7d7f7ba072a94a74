package io.edgerent.hardware.firstday;

import static io.edgerent.hardware.firstday.Lab.await;
import static io.edgerent.hardware.firstday.Lab.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An owner's first day, on a Pi of a {@link Lab}: a card made by {@code edgerent provision} (unchanged), flashed
 * and powered on with nobody logging in. First boot runs (and runs again after a power cut in its middle),
 * reboots, setup starts the device, which keeps trying the hub until it is there and registers with its token; a
 * renter rents it through the hub, runs a command over {@code ssh -J}, and the rental's storage is LUKS2 on the
 * kernel's dm-crypt; a reboot mid-rental resumes it; the end erases it. The same card flashed again with another
 * hub's key pinned is refused, and with the right pin its spent token is refused. {@link VirtualPiTest} runs it
 * in qemu, {@link RealPiTest} on a Raspberry Pi.
 */
abstract class FirstDay {
    @TempDir
    Path dir;

    /** The lab the test runs in, with the owner's key; closed at the end. */
    abstract Lab lab(Path dir, Path ownerKey) throws Exception;

    /** What the Pi is, in the figures printed. */
    abstract String what();

    @Test
    void a_provisioned_pi_boots_sets_itself_up_and_serves_a_rental_on_luks2_with_nobody_logging_in() throws Exception {
        Path renterImage = dir.resolve("renter-arm64.tar");
        Lab.run(Duration.ofMinutes(5), "docker", "save", "-o", renterImage.toString(), "edgerent/renter-base:arm64")
                .assertOk();
        Path ownerKey = dir.resolve("owner");
        Lab.run(Duration.ofSeconds(30), "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ownerKey.toString())
                .assertOk();
        try (Lab pi = lab(dir, ownerKey)) {
            Path base = pi.baseImage();
            pi.startHub();
            Path fleet = dir.resolve("fleet");
            Lab.Result provisioned = pi.here(
                    Duration.ofMinutes(5),
                    "java",
                    "-jar",
                    Lab.ROOT
                            .resolve("provisioning/target/edgerent-provision.jar")
                            .toString(),
                    "--image",
                    base.toString(),
                    "--hub",
                    pi.hubUri(),
                    "--owner",
                    "olga",
                    "--names",
                    "vpi",
                    "--out",
                    fleet.toString(),
                    "--ssh-key",
                    ownerKey + ".pub",
                    "--renter-image",
                    renterImage.toString(),
                    "--admin-secret",
                    pi.hubData().resolve("admin.secret").toString());
            provisioned.assertOk();
            Path card = fleet.resolve("vpi.img");
            String token = Files.readAllLines(fleet.resolve("vpi/device.conf")).stream()
                    .filter(l -> l.startsWith("TOKEN="))
                    .findFirst()
                    .orElseThrow()
                    .replaceAll("TOKEN='(.*)'", "$1");
            assertFalse(token.isEmpty());

            // The Pi comes up while the hub is away (no way to it yet): it sets itself up and keeps trying.
            pi.stopHub();
            // The same card as provisioned, flashed again later onto a second card (see the end).
            Path reflashed = dir.resolve("reflashed.img");
            Lab.run(Duration.ofMinutes(5), "cp", "--sparse=always", card.toString(), reflashed.toString())
                    .assertOk();
            long poweredOn = System.nanoTime();
            pi.flash(card);
            pi.powerOn();
            // The power goes in the middle of the first boot: the next boot does the job again.
            await(
                    Duration.ofMinutes(5),
                    Duration.ofMillis(100),
                    "first boot to start",
                    () -> Lab.read(pi.console).contains("edgerent first boot: started"));
            pi.powerCut();
            assertFalse(Lab.read(pi.console).contains("edgerent first boot: done"), "cut before first boot ended");
            pi.powerOn();
            await(Duration.ofMinutes(15), "the device to start and try the hub (console: " + pi.console + ")", () -> {
                try {
                    return pi.onPi("journalctl -u edgerent-device --no-pager")
                            .out()
                            .contains("will retry registration");
                } catch (Exception e) {
                    return false;
                }
            });
            double bootToTrying = (System.nanoTime() - poweredOn) / 1e9;
            long hubBack = System.nanoTime();
            pi.startHub();
            Path owner = dir.resolve("olga");
            Files.createDirectories(owner);
            await(Duration.ofMinutes(5), "the Pi to register once the hub is back, and be listed", () -> {
                try {
                    return listing(pi, owner).contains(" free ");
                } catch (Exception e) {
                    return false;
                }
            });
            System.out.printf(
                    "%s: power on to registering (first boot, reboot, setup, device started) %.0f s;"
                            + " hub back to registered and listed %.0f s%n",
                    what(), bootToTrying, (System.nanoTime() - hubBack) / 1e9);
            String console = Lab.read(pi.console);
            assertTrue(console.contains("reboot: Restarting system"), "first boot ended in a reboot");

            // The token is spent and gone: from the card's boot partition, the unit file, the processes.
            String onCard = pi.bootFile("edgerent/device.conf");
            assertTrue(onCard.lines().anyMatch(l -> l.equals("TOKEN=") || l.equals("TOKEN=''")), onCard);
            assertFalse(onCard.contains(token), onCard);
            String where = pi.onPi("cat /etc/systemd/system/edgerent-device.service /var/lib/edgerent/device.conf;"
                            + " ps -eo args; grep -c . /var/lib/edgerent/device.args; stat -c %a"
                            + " /var/lib/edgerent/device.args")
                    .assertOk()
                    .out();
            assertFalse(where.contains(token), "no unit file, config or process shows the token: " + where);
            assertTrue(where.strip().endsWith("600"), "the argument file holding it is root's alone: " + where);

            // The renter image came from the card, for the Pi's CPU.
            assertEquals(
                    "arm64",
                    pi.onPi("docker image inspect -f '{{.Architecture}}' edgerent/renter-base:latest")
                            .assertOk()
                            .out()
                            .strip());

            // A renter rents it through the hub and runs a command over ssh -J.
            Path renter = dir.resolve("rita");
            Files.createDirectories(renter);
            Lab.run(
                            Duration.ofSeconds(30),
                            "ssh-keygen",
                            "-q",
                            "-t",
                            "ed25519",
                            "-N",
                            "",
                            "-f",
                            renter.resolve("id").toString())
                    .assertOk();
            String device = listing(pi, owner).split("\\s+")[0];
            long rentStarted = System.nanoTime();
            Lab.Result rented = pi.edgerent(
                    Duration.ofMinutes(11),
                    renter,
                    "rent",
                    device,
                    "--key",
                    renter.resolve("id.pub").toString(),
                    "--timeout",
                    "600",
                    "--detach");
            rented.assertOk();
            String rental = rented.out()
                    .lines()
                    .filter(l -> l.startsWith("rental: "))
                    .findFirst()
                    .orElseThrow()
                    .substring(8)
                    .strip();
            String[] hello = {""};
            await(Duration.ofMinutes(10), "ssh -J to the rental", () -> {
                try {
                    hello[0] = renterSsh(pi, renter, rental, "uname -m; echo kept > /data/mark")
                            .out();
                    return hello[0].startsWith("aarch64");
                } catch (Exception e) {
                    return false;
                }
            });
            System.out.printf("%s: rent to ssh %.0f s%n", what(), (System.nanoTime() - rentStarted) / 1e9);

            // Its storage is LUKS2, open in the guest kernel's dm-crypt.
            String storage = pi.onPi("dmsetup table --target crypt; for f in /var/lib/edgerent/device/volumes/*.img; do"
                            + " cryptsetup luksDump \"$f\" | head -n 3; done")
                    .assertOk()
                    .out();
            assertTrue(storage.contains(" crypt aes-xts-plain64 "), storage);
            assertTrue(storage.matches("(?s).*Version:\\s+2\n.*"), "a LUKS2 header: " + storage);

            // A reboot mid-rental: the Pi comes back and serves the rental again. Its volume's key lived only in
            // memory (docs/design.md, Storage and wipe), so the old volume is crypto-erased and a fresh one made:
            // what the renter wrote before is gone, by design, and nothing of it is readable on the card.
            String bootId =
                    pi.onPi("cat /proc/sys/kernel/random/boot_id").assertOk().out();
            long rebooted = System.nanoTime();
            pi.onPi("systemctl reboot");
            await(Duration.ofMinutes(5), "the Pi to come back from its reboot", () -> {
                try {
                    Lab.Result id = pi.onPi("cat /proc/sys/kernel/random/boot_id");
                    return id.code() == 0 && !id.out().equals(bootId);
                } catch (Exception e) {
                    return false;
                }
            });
            double plainBoot = (System.nanoTime() - rebooted) / 1e9;
            System.out.printf(
                    "%s: a plain reboot (to sshd answering) %.0f s; the first power on to registering took"
                            + " %.1f times that%n",
                    what(), plainBoot, bootToTrying / plainBoot);
            await(Duration.ofMinutes(10), "the rental to be served again after the reboot, on a fresh volume", () -> {
                try {
                    return renterSsh(pi, renter, rental, "test -e /data/mark && echo kept || echo fresh")
                            .out()
                            .strip()
                            .equals("fresh");
                } catch (Exception e) {
                    return false;
                }
            });

            Lab.Result ended = pi.edgerent(renter, "end", rental);
            ended.assertOk();
            String[] wipe = {""};
            await(Duration.ofMinutes(5), "the wipe record", () -> {
                try {
                    Lab.Result w = pi.edgerent(renter, "wipe", rental);
                    wipe[0] = w.out();
                    return w.code() == 0;
                } catch (Exception e) {
                    return false;
                }
            });
            assertTrue(wipe[0].contains("LUKS2 key slots erased"), wipe[0]);
            assertTrue(wipe[0].contains(": gone"), wipe[0]);
            String after = pi.onPi("dmsetup table --target crypt; ls /var/lib/edgerent/device/volumes")
                    .assertOk()
                    .out();
            assertFalse(after.contains("crypt"), "no dm-crypt mapping left: " + after);
            String firstBoots = Lab.read(pi.console);
            assertEquals(2, count(firstBoots, "edgerent first boot: started"), "first boot ran again after the cut");
            assertEquals(1, count(firstBoots, "edgerent first boot: done"), firstBoots);

            // The card as provisioned, flashed again, with another hub's key in place of the pin: the device
            // refuses that hub and says why; with the right pin back, the hub refuses the token, spent already.
            pi.powerOff();
            String conf = Lab.run(Duration.ofSeconds(30), "mtype", "-i", Lab.boot(reflashed), "::/edgerent/device.conf")
                    .assertOk()
                    .out();
            String pin = conf.lines()
                    .filter(l -> l.startsWith("HUB_KEY="))
                    .findFirst()
                    .orElseThrow()
                    .replaceAll("HUB_KEY='(.*)'", "$1");
            Lab.run(
                            Duration.ofSeconds(30),
                            "ssh-keygen",
                            "-q",
                            "-t",
                            "ecdsa",
                            "-b",
                            "256",
                            "-N",
                            "",
                            "-f",
                            dir.resolve("other").toString())
                    .assertOk();
            String otherKey = Files.readString(dir.resolve("other.pub")).strip().replaceAll(" [^ ]*$", "");
            Path wrongConf = Files.writeString(dir.resolve("device.conf"), conf.replace(pin, otherKey));
            Lab.run(
                            Duration.ofSeconds(30),
                            "mcopy",
                            "-o",
                            "-i",
                            Lab.boot(reflashed),
                            wrongConf.toString(),
                            "::/edgerent/device.conf")
                    .assertOk();
            pi.flash(reflashed);
            pi.powerOn();
            await(Duration.ofMinutes(15), "the device to refuse the hub that shows another key", () -> {
                try {
                    return pi.onPi("journalctl -u edgerent-device --no-pager")
                            .out()
                            .contains("in the DTLS handshake it shows the key '" + pin + "'");
                } catch (Exception e) {
                    return false;
                }
            });
            await(
                    Duration.ofMinutes(2),
                    "the refusal on the console too",
                    () -> Lab.read(pi.console)
                            .lines()
                            .anyMatch(l ->
                                    l.contains("edgerent device: ") && l.contains("in the DTLS handshake it shows")));
            pi.onPi("sed -i \"s|^HUB_KEY=.*|HUB_KEY='" + pin + "'|\" /var/lib/edgerent/device.conf"
                            + " && systemctl restart edgerent-device")
                    .assertOk();
            await(Duration.ofMinutes(5), "the hub to refuse the spent token, and the device to say so", () -> {
                try {
                    return pi.onPi("journalctl -u edgerent-device --no-pager")
                            .out()
                            .lines()
                            .anyMatch(l -> l.contains("the hub refused the registration")
                                    && l.contains("registration token was already used"));
                } catch (Exception e) {
                    return false;
                }
            });
            String market = pi.edgerent(owner, "market").assertOk().out();
            assertEquals(1, count(market, " olga "), "the spent token made no second device: " + market);
        }
    }

    /** The market's line of olga's device, or "" while there is none. */
    private static String listing(Lab pi, Path home) throws Exception {
        return pi.edgerent(home, "market")
                .out()
                .lines()
                .filter(l -> l.contains(" olga "))
                .findFirst()
                .orElse("");
    }

    /**
     * {@code ssh -J RENTAL@hub root@RENTAL COMMAND} as the renter: OpenSSH with the renter's key and nothing else.
     * The options are in a config file, as the jump's own ssh reads no -o options from this command line.
     */
    private static Lab.Result renterSsh(Lab pi, Path renter, String rental, String command) throws Exception {
        Path config = renter.resolve("ssh_config");
        if (!Files.exists(config)) {
            Files.writeString(config, """
                    Host *
                      IdentityFile %s
                      IdentitiesOnly yes
                      IdentityAgent none
                      StrictHostKeyChecking no
                      UserKnownHostsFile /dev/null
                      BatchMode yes
                      ConnectTimeout 20
                      LogLevel ERROR
                    """.formatted(renter.resolve("id")));
        }
        return pi.here(
                Duration.ofSeconds(90),
                "ssh",
                "-F",
                config.toString(),
                "-J",
                rental + "@" + pi.hubHost() + ":" + Lab.SSH_PORT,
                "root@" + rental,
                command);
    }
}
