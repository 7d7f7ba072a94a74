package io.edgerent.systemtests.packaging;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub as an operator installs it: the Debian package the build makes (packaging/), installed with {@code dpkg -i}
 * in a fresh Debian that boots systemd as its PID 1, so edgerent-hub.service runs as systemd runs it: as the system
 * user edgerent, in the unit's sandbox. The Debian is edgerent/hub-base (container-images/hub-base: a debootstrapped
 * bookworm holding only what the package depends on, installed beforehand because no test reaches a package mirror,
 * and systemd). The only file the operator edits is /etc/edgerent/hub.conf. The container shares this machine's
 * network, so the device process and the renter's OpenSSH here reach the hub on loopback, as across a LAN.
 */
class HubPackageTest {
    private static final String IMAGE = "edgerent/hub-base:latest";
    private static final Duration MINUTE = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    private String container;

    @AfterEach
    void remove() throws Exception {
        if (container != null) {
            // For whoever reads a failure: the hub's journal, as an operator would read it.
            Path logs = World.ROOT.resolve("system-tests/target/device-logs");
            Files.createDirectories(logs);
            Files.writeString(
                    logs.resolve("hub-package-journal.log"),
                    World.run(MINUTE, "docker", "exec", container, "journalctl", "--no-pager", "-u", "edgerent-hub")
                            .out());
            World.run(MINUTE, "docker", "rm", "-f", container);
        }
    }

    @Test
    void the_package_installs_starts_under_systemd_and_serves_a_rental() throws Exception {
        Path deb = built();
        if (World.run(MINUTE, "docker", "image", "inspect", IMAGE).code() != 0) {
            fail(IMAGE + " is missing: container-images/build.sh hub-base as root (./edgerent test does it)");
        }
        container = "er-pkg-" + UUID.randomUUID().toString().substring(0, 8);
        World.run(
                        MINUTE,
                        "docker",
                        "run",
                        "-d",
                        "--name",
                        container,
                        "--network",
                        "host",
                        // What systemd needs as PID 1 in a container: its mounts and namespaces (the unit's sandbox).
                        "--cap-add",
                        "SYS_ADMIN",
                        "--security-opt",
                        "seccomp=unconfined",
                        "--security-opt",
                        "apparmor=unconfined",
                        "-e",
                        "container=docker",
                        "--tmpfs",
                        "/run",
                        "--tmpfs",
                        "/run/lock",
                        "-v",
                        "/sys/fs/cgroup:/sys/fs/cgroup:ro",
                        "-v",
                        deb + ":/tmp/edgerent.deb:ro",
                        IMAGE,
                        "/lib/systemd/systemd")
                .assertOk();
        awaitTrue(
                MINUTE,
                "systemd to boot the container",
                () -> in("systemctl is-system-running").out().matches("(?s)(running|degraded).*"));

        World.Result install = in("dpkg -i /tmp/edgerent.deb");
        assertEquals(0, install.code(), install.out() + install.err());
        assertEquals("enabled", in("systemctl is-enabled edgerent-hub").out().strip());
        awaitTrue(
                Duration.ofMinutes(2),
                "the hub started by the install to run",
                () -> in("journalctl --no-pager -u edgerent-hub").out().contains("hub running:"));
        assertEquals(
                "edgerent:/var/lib/edgerent:/usr/sbin/nologin",
                in("getent passwd edgerent | cut -d: -f1,6,7").out().strip(),
                "a system user without a login");
        assertEquals(
                "root:edgerent 640",
                in("stat -c '%U:%G %a' /etc/edgerent/hub.conf").out().strip());

        // The operator's edit, and only that: this test's ports in hub.conf. A mistake first, which the check names.
        try (World world = new World(dir, false)) {
            in("sed -i 's/^#fee-bps = .*/fee-bps = lots/' /etc/edgerent/hub.conf")
                    .assertOk();
            World.Result wrong = in("edgerent hub --check-config");
            assertEquals(2, wrong.code(), wrong.out());
            assertTrue(
                    wrong.err().contains("/etc/edgerent/hub.conf:")
                            && wrong.err().contains("fee-bps: Invalid value"),
                    wrong.err());
            String edits = Stream.of(
                            "fee-bps = 500",
                            "coaps-port = " + world.coapsPort,
                            "coap-port = " + world.coapPort,
                            "ssh-port = " + world.sshPort,
                            "http-port = " + world.httpPort,
                            "https-port = " + world.httpsPort,
                            "metrics = 127.0.0.1:0",
                            "tunnel-ports = " + world.tunnelPort + "-" + (world.tunnelPort + 9),
                            "domain = " + World.DOMAIN,
                            "payment-grace = " + World.PAYMENT_GRACE.toSeconds())
                    .map(line -> "-e 's/^#\\?" + line.substring(0, line.indexOf(' ')) + " = .*/" + line + "/'")
                    .reduce("sed -i", (a, b) -> a + " " + b);
            in(edits + " /etc/edgerent/hub.conf").assertOk();
            assertEquals(
                    "/etc/edgerent/hub.conf: ok",
                    in("edgerent hub --check-config").assertOk().out().strip());
            in("systemctl restart edgerent-hub").assertOk();

            Files.createDirectories(dir.resolve("hub"));
            awaitTrue(
                    MINUTE,
                    "the hub to make its admin secret",
                    () -> World.run(
                                            MINUTE,
                                            "docker",
                                            "cp",
                                            container + ":/var/lib/edgerent/admin.secret",
                                            dir.resolve("hub/admin.secret").toString())
                                    .code()
                            == 0);
            awaitTrue(
                    MINUTE,
                    "the hub to answer on its new port",
                    () -> world.cli(dir, "market").code() == 0);

            // As systemd runs it: the unit's user, no new privileges, no capabilities, its state where StateDirectory
            // says.
            String pid =
                    in("systemctl show -p MainPID --value edgerent-hub").out().strip();
            String status = in("cat /proc/" + pid + "/status").assertOk().out();
            assertTrue(status.contains("\nNoNewPrivs:\t1\n"), status);
            assertTrue(status.contains("\nCapEff:\t0000000000000000\n"), status);
            assertEquals("edgerent", in("ps -o user= -p " + pid).out().strip());
            assertEquals(
                    "edgerent:edgerent",
                    in("stat -c '%U:%G' /var/lib/edgerent/hub.mv.db /var/lib/edgerent/ssh_host_ecdsa_key | sort -u")
                            .out()
                            .strip());
            assertEquals(
                    "", in("systemd-analyze verify edgerent-hub.service").out().strip(), "systemd's own check");

            // A rental through it, end to end: the device registers, the renter rents, pays, runs a command over ssh
            // -J.
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            assertEquals(
                    "through the packaged hub",
                    renter.ssh(rental, "echo through the packaged hub")
                            .assertOk()
                            .out()
                            .strip());
            renter.end(rental).assertOk();
            assertTrue(renter.awaitWipe(rental).out().contains("verified"));

            // The operator's backup of the running hub, as its user, with the service's settings.
            World.Result backup = World.run(
                    MINUTE,
                    "docker",
                    "exec",
                    "-u",
                    "edgerent",
                    container,
                    "edgerent",
                    "hub",
                    "backup",
                    "/var/lib/edgerent/backups/first");
            assertEquals(0, backup.code(), backup.out() + backup.err());
            assertTrue(
                    in("test -s /var/lib/edgerent/backups/first/manifest.txt").code() == 0, backup.out());
        }
    }

    /** The package `mvn package` left in packaging/target. */
    private static Path built() throws Exception {
        try (Stream<Path> files = Files.list(World.ROOT.resolve("packaging/target"))) {
            List<Path> debs = files.filter(p -> p.getFileName().toString().matches("edgerent_.*_all\\.deb"))
                    .toList();
            if (debs.size() != 1) {
                fail("expected one edgerent_*_all.deb in packaging/target (mvn package at the root makes it), found "
                        + debs);
            }
            return debs.get(0);
        }
    }

    /** A shell command run as root in the container. */
    private World.Result in(String command) {
        return World.run(Duration.ofMinutes(2), "docker", "exec", container, "sh", "-c", command);
    }
}
