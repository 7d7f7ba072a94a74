package io.edgerent.systemtests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A renter with their own edgerent identity and OpenSSH key, using the real command line and ssh. */
public final class Renter {
    final World world;
    public final Path home;
    public final Path key;
    /** The SSH gateway this renter jumps through, HOST:PORT. */
    final String gateway;

    public Renter(World world, Path home) {
        this(world, home, "127.0.0.1:" + world.sshPort);
    }

    /** A renter of a hub outside any {@link World} (for its ssh and web helpers only), jumping through {@code gateway}. */
    public Renter(Path home, String gateway) {
        this(null, home, gateway);
    }

    private Renter(World world, Path home, String gateway) {
        this.world = world;
        this.home = home;
        this.key = home.resolve("id");
        this.gateway = gateway;
        writeSshConfig(key);
    }

    /** {@code edgerent rent DEVICE --detach} with this renter's key, and {@code more} options such as a template. */
    public World.Result rent(String device, String... more) {
        List<String> args =
                new ArrayList<>(List.of("rent", device, "--key", key + ".pub", "--timeout", "90", "--detach"));
        args.addAll(List.of(more));
        return world.cli(home, args.toArray(String[]::new));
    }

    public static String rentalName(World.Result rented) {
        return rented.out()
                .lines()
                .filter(l -> l.startsWith("rental: "))
                .findFirst()
                .orElseThrow()
                .substring(8)
                .strip();
    }

    /** {@code ssh -J RENTAL@hub root@RENTAL COMMAND} with this renter's key and nothing else. */
    public World.Result ssh(String rental, String command) {
        return sshAs(rental, rental, command);
    }

    /** Like {@link #ssh}, but logging into the gateway as {@code gatewayUser} and jumping to {@code target}. */
    public World.Result sshAs(String gatewayUser, String target, String command) {
        return World.run(
                Duration.ofSeconds(60),
                "ssh",
                "-F",
                home.resolve("ssh_config").toString(),
                "-J",
                gatewayUser + "@" + gateway,
                "root@" + target,
                command);
    }

    /** Like {@link #ssh}, with a file as the command's standard input. */
    World.Result sshWithInput(String rental, Path input, String command) {
        return World.runWithInput(
                Duration.ofSeconds(60),
                input,
                "ssh",
                "-F",
                home.resolve("ssh_config").toString(),
                "-J",
                rental + "@" + gateway,
                "root@" + rental,
                command);
    }

    /** Starts the test web server (src/test/resources/web-server.py) on port 80 in the rental's container. */
    public void startWebServer(String rental) {
        sshWithInput(
                        rental,
                        World.ROOT.resolve("system-tests/src/test/resources/web-server.py"),
                        "cat > /root/web.py && (setsid python3 /root/web.py > /root/web.log 2>&1 &)")
                .assertOk();
    }

    public World.Result end(String rental) {
        return world.cli(home, "end", rental);
    }

    /** The rental's wipe record (edgerent wipe), once the device has sent it to the hub: within a minute. */
    public World.Result awaitWipe(String rental) {
        World.awaitTrue(
                java.time.Duration.ofSeconds(60),
                "the wipe record of " + rental,
                () -> world.cli(home, "wipe", rental).code() == 0);
        return world.cli(home, "wipe", rental).assertOk();
    }

    private void writeSshConfig(Path identity) {
        try {
            Files.writeString(home.resolve("ssh_config"), """
                    Host *
                      IdentityFile %s
                      IdentitiesOnly yes
                      IdentityAgent none
                      StrictHostKeyChecking no
                      UserKnownHostsFile /dev/null
                      BatchMode yes
                      ConnectTimeout 15
                      LogLevel ERROR
                    """.formatted(identity));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
