package io.edgerent.systemtests.isolation;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static io.edgerent.systemtests.support.World.containersOf;
import static io.edgerent.systemtests.support.World.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an owner and a renter must be able to rely on: the container is fenced in (real Docker
 * engine, real iptables, real OpenSSH client), its /data is encrypted on real loop-mounted ext4
 * (fscrypt, as this kernel has no dm-crypt), and nothing of one renter reaches the next.
 */
class IsolationTest {
    private static final String IMAGE = "edgerent/renter-base:latest";

    @TempDir
    Path dir;

    @Test
    void a_rental_is_hardened_fenced_off_the_host_and_its_neighbours_and_held_to_its_limits() throws Exception {
        try (World world = new World(dir);
                ServerSocket hostService = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
            AtomicInteger reached = acceptInBackground(hostService);
            String device = world.registeredDevice(
                    "--memory-mib", "128", "--pids-limit", "64", "--cpu-millicores", "500", "--storage-mib", "64");
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            String container = containersOf(rental).get(0);

            // docker inspect shows every hardening setting.
            String inspect = run(
                            Duration.ofSeconds(30),
                            "docker",
                            "inspect",
                            "--format",
                            String.join(
                                    "|",
                                    "{{.HostConfig.Privileged}}",
                                    "{{json .HostConfig.CapDrop}}",
                                    "{{json .HostConfig.SecurityOpt}}",
                                    "{{.HostConfig.PidsLimit}}",
                                    "{{.HostConfig.Memory}}",
                                    "{{.HostConfig.MemorySwap}}",
                                    "{{.HostConfig.NanoCpus}}",
                                    "{{.HostConfig.NetworkMode}}",
                                    "{{.HostConfig.PidMode}}",
                                    "{{.HostConfig.IpcMode}}",
                                    "{{.HostConfig.UTSMode}}",
                                    "{{json .HostConfig.PortBindings}}",
                                    "{{json .HostConfig.Binds}}",
                                    "{{json .HostConfig.LogConfig.Config}}",
                                    "{{json .HostConfig.CapAdd}}",
                                    "{{json .HostConfig.Dns}}"),
                            container)
                    .assertOk()
                    .out()
                    .strip();
            String[] f = inspect.split("\\|");
            assertEquals("false", f[0], "not privileged: " + inspect);
            assertEquals("[\"ALL\"]", f[1], "every capability dropped: " + inspect);
            assertTrue(f[2].contains("no-new-privileges"), inspect);
            assertEquals("64", f[3], "pids limit: " + inspect);
            assertEquals(String.valueOf(128L << 20), f[4], "memory limit: " + inspect);
            assertEquals(f[4], f[5], "no swap beyond the memory limit: " + inspect);
            assertEquals("500000000", f[6], "CPU quota: " + inspect);
            assertEquals("edgerent-" + device, f[7], "the device's fenced bridge: " + inspect);
            assertEquals("", f[8], "no host pid namespace: " + inspect);
            assertEquals("private", f[9], "no shared ipc namespace: " + inspect);
            assertEquals("", f[10], "no host uts namespace: " + inspect);
            assertTrue(f[11].equals("{}") || f[11].equals("null"), "no published port: " + inspect);
            assertFalse(f[12].contains("docker.sock"), "the Docker socket is never mounted: " + inspect);
            assertTrue(f[12].contains(":/data"), "only the encrypted volume at /data: " + inspect);
            assertTrue(f[13].contains("max-size"), "log size limit: " + inspect);
            assertFalse(
                    f[14].contains("SYS_ADMIN") || f[14].contains("NET_RAW") || f[14].contains("SYS_MODULE"), inspect);

            assertEquals(
                    "[\"9.9.9.9\",\"1.1.1.1\"]",
                    f[15],
                    "names resolve through public resolvers by default, never the LAN's: " + inspect);

            assertEquals("false", internal(device), "internet access is on by default");

            // No IPv6 inside, whatever the host's ip6tables: off in the container's namespace, and root cannot turn it
            // on; Docker's embedded resolver (which forwards to the owner's name servers) is the one in resolv.conf.
            World.Result v6 = renter.ssh(
                    rental,
                    "cat /proc/sys/net/ipv6/conf/all/disable_ipv6; ip -6 -o addr | wc -l;"
                            + " echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null && echo CHANGED;"
                            + " grep ^nameserver /etc/resolv.conf");
            assertEquals("1\n0\nnameserver 127.0.0.11", v6.out().strip(), v6.toString());

            // Behaviour inside: mount, raw sockets and modules are refused; the Docker engine is out of reach.
            assertRefused(renter.ssh(rental, "mount -t tmpfs none /mnt"), "mount");
            World.Result raw = renter.ssh(
                    rental,
                    "perl -e 'use Socket; socket(my $s, PF_INET, SOCK_RAW, 1) or die \"raw: $!\\n\"; print \"raw ok\\n\"'");
            assertTrue(raw.err().contains("raw: Operation not permitted"), "raw socket: " + raw);
            int finitModule = System.getProperty("os.arch").contains("aarch64") ? 273 : 313;
            World.Result module = renter.ssh(
                    rental, "perl -e 'syscall(" + finitModule + ", 0, 0, 0) == -1 and die \"module: $!\\n\"'");
            assertTrue(module.err().contains("module: Operation not permitted"), "loading a module: " + module);
            assertNotEquals(
                    0, renter.ssh(rental, "test -e /var/run/docker.sock").code(), "no Docker socket inside");

            // The host's own listening ports (stand-ins for the Kura web UI, the hub, the Docker engine) are out of
            // reach.
            String gateway = run(
                            Duration.ofSeconds(30),
                            "docker",
                            "network",
                            "inspect",
                            "--format",
                            "{{(index .IPAM.Config 0).Gateway}}",
                            "edgerent-" + device)
                    .assertOk()
                    .out()
                    .strip();
            for (String hostAddress : hostAddresses(gateway)) {
                World.Result knock = renter.ssh(
                        rental,
                        "timeout 3 bash -c 'echo hi > /dev/tcp/" + hostAddress + "/" + hostService.getLocalPort()
                                + "' && echo CONNECTED");
                assertFalse(
                        knock.out().contains("CONNECTED"),
                        "the rental reached the host at " + hostAddress + ": " + knock);
            }
            assertEquals(0, reached.get(), "nothing from the rental reached the host's service");
            // Control: a container on Docker's default bridge, without our fence, does reach it, so the fence is what
            // stops it.
            World.Result control = run(
                    Duration.ofSeconds(60),
                    "docker",
                    "run",
                    "--rm",
                    "--network",
                    "bridge",
                    "--entrypoint",
                    "bash",
                    IMAGE,
                    "-c",
                    "timeout 5 bash -c 'echo hi > /dev/tcp/172.17.0.1/" + hostService.getLocalPort()
                            + "' && echo CONNECTED");
            assertTrue(control.out().contains("CONNECTED"), "control container should reach the host: " + control);

            // A neighbour on a private network (another container's sshd) is out of reach too.
            String neighbour = run(
                            Duration.ofSeconds(60),
                            "docker",
                            "run",
                            "-d",
                            "--rm",
                            "--label",
                            "io.edgerent.device=" + device,
                            "-e",
                            "EDGERENT_AUTHORIZED_KEYS=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummy neighbour",
                            IMAGE)
                    .assertOk()
                    .out()
                    .strip();
            String neighbourIp = run(
                            Duration.ofSeconds(30),
                            "docker",
                            "inspect",
                            "--format",
                            "{{.NetworkSettings.IPAddress}}",
                            neighbour)
                    .assertOk()
                    .out()
                    .strip();
            World.Result lan =
                    renter.ssh(rental, "timeout 3 bash -c 'echo > /dev/tcp/" + neighbourIp + "/22' && echo CONNECTED");
            assertFalse(
                    lan.out().contains("CONNECTED"),
                    "the rental reached a private address " + neighbourIp + ": " + lan);

            // A memory hog is killed inside; the container goes on.
            World.Result hog = renter.ssh(rental, "perl -e '$x = \"x\" x (512 * 1024 * 1024); print \"survived\\n\"'");
            assertFalse(hog.out().contains("survived"), "the hog outgrew 128 MiB: " + hog);
            assertNotEquals(0, hog.code(), "killed by the OOM killer: " + hog);
            assertEquals(
                    "alive", renter.ssh(rental, "echo alive").assertOk().out().strip());

            // A fork bomb stops at the pids limit and this host stays responsive.
            long before = System.nanoTime();
            World.Result bomb = renter.ssh(
                    rental,
                    "perl -e 'my $n = 0; while (1) { my $p = fork(); if (!defined $p) {"
                            + " print \"stopped after $n: $!\\n\"; exit 0 } if ($p == 0) { sleep 6; exit 0 } $n++ }'");
            assertTrue(
                    bomb.out().contains("stopped after") && bomb.out().contains("Resource temporarily unavailable"),
                    bomb.toString());
            int forked = Integer.parseInt(
                    bomb.out().replaceAll("(?s).*stopped after (\\d+).*", "$1").strip());
            assertTrue(forked < 64, "forked " + forked + " processes with a limit of 64");
            long hostFork = System.nanoTime();
            run(Duration.ofSeconds(5), "true").assertOk();
            assertTrue(
                    System.nanoTime() - hostFork < Duration.ofSeconds(2).toNanos(),
                    "the host still starts processes at once");
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the rental to recover from the fork bomb",
                    () -> renter.ssh(rental, "true").code() == 0);
            System.out.printf(
                    "isolation: fork bomb stopped after %d processes; whole check took %d ms%n",
                    forked, (System.nanoTime() - before) / 1_000_000);
        }
    }

    @Test
    void nothing_of_one_renter_reaches_the_next_and_the_old_volume_cannot_be_opened() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--storage-mib", "64");
            Renter alice = world.renter("alice");
            String first = Renter.rentalName(alice.rent(device).assertOk());
            String canary = "canary-" + UUID.randomUUID();
            alice.ssh(
                            first,
                            "echo " + canary + " > /data/canary && echo " + canary + " > /root/canary && echo " + canary
                                    + " > /tmp/canary && sync")
                    .assertOk();
            assertEquals(
                    canary,
                    alice.ssh(first, "cat /data/canary").assertOk().out().strip());
            Path image = dir.resolve("device/volumes/" + first + ".img");
            assertFalse(contains(Files.readAllBytes(image), canary), "the canary is in plain text in " + image);
            Path stolen = dir.resolve("stolen.img");
            Files.copy(image, stolen); // what someone holding the disk would have

            alice.end(first).assertOk();
            awaitTrue(
                    Duration.ofSeconds(60),
                    "the device to be listed free again",
                    () -> world.cli(dir, "market").out().contains(" free "));
            World.Result wipe = alice.awaitWipe(first);
            assertTrue(wipe.out().contains("(fscrypt), verified"), wipe.out());
            assertTrue(wipe.out().contains("removed from the kernel"), wipe.out());
            assertTrue(wipe.out().contains("backing image: gone"), wipe.out());
            assertFalse(Files.exists(image), "the backing image is deleted");

            Renter bob = world.renter("bob");
            String second = Renter.rentalName(bob.rent(device).assertOk());
            World.Result look = bob.ssh(
                    second,
                    "ls -A /data; cat /data/canary /root/canary /tmp/canary 2>&1;" + " grep -rs " + canary
                            + " / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev; env; cat /root/.ssh/authorized_keys");
            assertFalse(look.out().contains(canary), "renter B found renter A's canary: " + look.out());
            String aliceKey =
                    Files.readString(alice.key.resolveSibling("id.pub")).split(" ")[1];
            String bobKey = Files.readString(bob.key.resolveSibling("id.pub")).split(" ")[1];
            assertFalse(look.out().contains(aliceKey), "renter A's key survived into renter B's container");
            assertTrue(look.out().contains(bobKey));
            assertEquals(
                    "1",
                    run(
                                    Duration.ofSeconds(30),
                                    "docker",
                                    "network",
                                    "inspect",
                                    "--format",
                                    "{{len .Containers}}",
                                    "edgerent-" + device)
                            .assertOk()
                            .out()
                            .strip(),
                    "renter B has the bridge to itself");
            World.Result notOurs = world.cli(bob.home, "wipe", first);
            assertEquals(1, notOurs.code(), "another renter's wipe record is not B's to read: " + notOurs);

            // The copy of A's volume: names and contents are ciphertext, and no key exists any more to open it.
            Path mount = dir.resolve("stolen");
            Files.createDirectories(mount);
            run(Duration.ofSeconds(30), "mount", "-o", "loop,ro,noload", stolen.toString(), mount.toString())
                    .assertOk();
            try {
                World.Result read = run(
                        Duration.ofSeconds(30), "sh", "-c", "ls -R " + mount + "/vault; cat " + mount + "/vault/*/*");
                assertFalse(read.out().contains("canary"), read.toString());
                assertTrue(
                        read.err().contains("Required key not available"), "the old volume cannot be opened: " + read);
                assertFalse(
                        contains(Files.readAllBytes(stolen), canary), "no plain-text canary in the old volume's bytes");
            } finally {
                run(Duration.ofSeconds(30), "umount", mount.toString()).assertOk();
            }
        }
    }

    @Test
    void a_device_killed_in_the_middle_of_a_wipe_finishes_it_before_it_is_listed_again() throws Exception {
        try (World world = new World(dir)) {
            world.deviceJvmOptions.add("-Dedgerent.failpoint=wipe.after-container");
            String device = world.registeredDevice("--storage-mib", "64", "--egress", "off");
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            // Internet access off: the bridge is a Docker internal network, whose traffic out Docker drops.
            assertEquals("true", internal(device), "internet access off makes the bridge internal");
            renter.ssh(rental, "echo secret > /data/secret").assertOk();
            Path image = dir.resolve("device/volumes/" + rental + ".img");
            assertTrue(Files.exists(image));
            renter.end(rental).assertOk();
            awaitTrue(
                    Duration.ofSeconds(60),
                    "the device to stall in the middle of the wipe",
                    () -> world.deviceLog().contains("failpoint wipe.after-container reached"));
            world.killDevice(); // SIGKILL: the container is gone, the volume is not erased yet
            assertTrue(containersOf(rental).isEmpty());
            assertTrue(Files.exists(image), "the kill came before the volume was erased");
            assertFalse(world.cli(dir, "market").out().contains(" free "), "not listed in the middle of a wipe");

            world.deviceJvmOptions.clear();
            world.startDevice(null);
            awaitTrue(Duration.ofSeconds(60), "the device to be listed free again", () -> {
                boolean free = world.cli(dir, "market").out().contains(" free ");
                if (free) {
                    // The first moment it is listed, the erasure is already complete.
                    assertFalse(Files.exists(image), "listed again before the backing image was deleted");
                    assertFalse(
                            mounted(dir.resolve("device/volumes/" + rental)),
                            "listed again with the volume still mounted");
                }
                return free;
            });
            String wipe = renter.awaitWipe(rental).out();
            assertTrue(wipe.contains("wipe resumed after a restart"), wipe);
            assertTrue(wipe.contains("verified"), wipe);
        }
    }

    @Test
    void bad_owner_limits_are_refused_with_a_clear_message_and_change_nothing() throws Exception {
        try (World world = new World(dir)) {
            world.registeredDevice("--memory-mib", "256");
            world.device.destroy();
            world.device.waitFor();
            String data = dir.resolve("device").toString();
            record Case(String option, String value, String message) {}
            for (Case c : List.of(
                    new Case("--memory-mib", "0", "--memory-mib takes a whole number from 64"),
                    new Case("--pids-limit", "-5", "--pids-limit takes a whole number from 16"),
                    new Case("--storage-mib", "lots", "--storage-mib takes a whole number"),
                    new Case("--egress", "maybe", "--egress takes on or off"),
                    new Case("--memory-mib", "65536", "memory limit must be from 64 to"),
                    new Case("--cpu-millicores", "64000", "CPU limit must be from 100 to"))) {
                World.Result refused = run(
                        Duration.ofSeconds(90),
                        "java",
                        "-jar",
                        World.DEVICE_JAR.toString(),
                        "--data",
                        data,
                        "--hub",
                        world.hubUri,
                        "--check",
                        c.option(),
                        c.value());
                assertEquals(2, refused.code(), c + ": " + refused);
                assertTrue(refused.err().contains(c.message()), c + ": " + refused.err());
            }
            World.Result unchanged = run(
                    Duration.ofSeconds(90),
                    "java",
                    "-jar",
                    World.DEVICE_JAR.toString(),
                    "--data",
                    data,
                    "--hub",
                    world.hubUri,
                    "--check");
            assertEquals(0, unchanged.code(), "the stored settings are still the good ones: " + unchanged);
            String stored = Files.readString(findConfig(dir.resolve("device/config"), "io.edgerent.edge.containers"));
            assertTrue(stored.contains("memory.mib=I\"256\""), stored);
        }
    }

    private static Path findConfig(Path dir, String pid) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(
                            p -> p.getFileName().toString().equals(pid.substring(pid.lastIndexOf('.') + 1) + ".config"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no stored configuration for " + pid + " under " + dir));
        }
    }

    private static void assertRefused(World.Result result, String what) {
        assertNotEquals(0, result.code(), what + " should be refused: " + result);
    }

    /** This host's IPv4 addresses as a rental would aim at them: its bridge gateway and every global address. */
    private static List<String> hostAddresses(String gateway) {
        List<String> addresses = new java.util.ArrayList<>(List.of(gateway));
        for (String line : run(Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show", "scope", "global")
                .assertOk()
                .out()
                .lines()
                .toList()) {
            String address = line.replaceAll(".* inet ([0-9.]+)/.*", "$1");
            if (!addresses.contains(address)) {
                addresses.add(address);
            }
        }
        return addresses;
    }

    private static AtomicInteger acceptInBackground(ServerSocket server) {
        AtomicInteger reached = new AtomicInteger();
        Thread acceptor = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try (Socket s = server.accept()) {
                            reached.incrementAndGet();
                        } catch (IOException closed) {
                            return;
                        }
                    }
                },
                "host-service");
        acceptor.setDaemon(true);
        acceptor.start();
        return reached;
    }

    private static String internal(String device) {
        return run(
                        Duration.ofSeconds(30),
                        "docker",
                        "network",
                        "inspect",
                        "--format",
                        "{{.Internal}}",
                        "edgerent-" + device)
                .assertOk()
                .out()
                .strip();
    }

    private static boolean mounted(Path path) {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .anyMatch(l -> l.split(" ")[4].equals(path.toString()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean contains(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
    }
}
