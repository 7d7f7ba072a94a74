package io.edgerent.systemtests.rental;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static io.edgerent.systemtests.support.World.containersOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thinnest complete path: register, rent a real container, ssh in through the hub, end, relist. */
class WalkingSkeletonTest {
    @TempDir
    Path dir;

    @Test
    void device_is_rented_reached_with_openssh_through_the_hub_ended_and_listed_again() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");

            World.Result rented = renter.rent(device).assertOk();
            String rental = Renter.rentalName(rented);
            assertTrue(
                    rented.out().contains("ssh -J " + rental + "@127.0.0.1:" + world.sshPort + " root@" + rental),
                    rented.out());
            assertEquals(1, containersOf(rental).size(), "one container for the rental");
            assertTrue(world.cli(dir, "market").out().contains(" rented "), "the market shows the device rented");
            JsonObject listed = JsonParser.parseString(
                            world.cli(dir, "market", "-o", "json").assertOk().out())
                    .getAsJsonArray()
                    .get(0)
                    .getAsJsonObject();
            assertEquals(device, listed.get("device").getAsString(), "market -o json: " + listed);
            assertEquals("rented", listed.get("status").getAsString(), "market -o json: " + listed);
            assertTrue(
                    listed.get("cpus").getAsInt() > 0
                            && listed.get("templates").getAsJsonArray().size() > 0,
                    "market -o json: " + listed);
            JsonObject mine = JsonParser.parseString(world.cli(renter.home, "rentals", "-o", "json")
                            .assertOk()
                            .out())
                    .getAsJsonArray()
                    .get(0)
                    .getAsJsonObject();
            assertEquals(rental, mine.get("rental").getAsString(), "rentals -o json: " + mine);
            assertEquals("active", mine.get("state").getAsString(), "rentals -o json: " + mine);
            assertTrue(mine.get("ssh").getAsString().startsWith("ssh -J " + rental + "@"), "rentals -o json: " + mine);
            JsonObject channel = JsonParser.parseString(world.cli(renter.home, "status", rental, "--output=json")
                            .assertOk()
                            .out())
                    .getAsJsonObject();
            assertEquals(rental, channel.get("rental").getAsString(), "status -o json: " + channel);
            assertTrue(
                    channel.get("deposit").getAsLong() >= 0
                            && channel.get("settlement").isJsonNull(),
                    "status -o json: " + channel);
            JsonObject wallet = JsonParser.parseString(world.cli(renter.home, "wallet", "-o", "json")
                            .assertOk()
                            .out())
                    .getAsJsonObject();
            assertTrue(wallet.get("account").getAsString().startsWith("renter:"), "wallet -o json: " + wallet);
            assertTrue(
                    world.cli(renter.home, "wallet")
                            .out()
                            .contains("balance: " + wallet.get("balance").getAsLong() + "\n"),
                    "wallet -o json shows the balance the text does: " + wallet);

            World.Result os = renter.ssh(rental, "cat /etc/os-release").assertOk();
            assertTrue(os.out().contains("VERSION_CODENAME=bookworm"), os.out());

            renter.end(rental).assertOk();
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the container to be gone",
                    () -> containersOf(rental).isEmpty());
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the device to be listed free again",
                    () -> world.cli(dir, "market").out().contains(device + "   free "));
            assertTrue(world.cli(renter.home, "rentals").out().contains(rental + "   " + device + "   ended"));
            assertNotEquals(0, renter.ssh(rental, "true").code(), "ssh to an ended rental is refused");
        }
    }

    /**
     * A device hears of its rental and of its end from its observation of the assignment's version, and reads the
     * assignment then, not at its next heartbeat: here heartbeats come once a minute, yet both take seconds.
     */
    @Test
    void a_device_heartbeating_once_a_minute_serves_and_ends_a_rental_within_seconds() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--heartbeat", "60");
            Renter renter = world.renter("rita");

            long started = System.nanoTime();
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            long servedIn = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            assertEquals(1, containersOf(rental).size(), "one container for the rental");
            assertTrue(servedIn < 30, "served in " + servedIn + " s, as if it waited for a heartbeat");

            renter.end(rental).assertOk();
            awaitTrue(
                    Duration.ofSeconds(20),
                    "the container to be gone before the next heartbeat",
                    () -> containersOf(rental).isEmpty());
        }
    }

    @Test
    void device_killed_during_a_rental_finds_its_container_on_restart_and_the_rental_goes_on() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            List<String> before = containersOf(rental);
            renter.ssh(rental, "echo kept > /root/proof").assertOk();

            world.killDevice();
            world.startDevice(null);

            awaitTrue(
                    Duration.ofSeconds(60),
                    "ssh to work again after the device restart",
                    () -> renter.ssh(rental, "cat /root/proof").out().contains("kept"));
            assertEquals(before, containersOf(rental), "the same container serves the rental");
            assertTrue(
                    world.deviceLog().contains("governor resumes in state RENTED with " + rental), world.deviceLog());
        }
    }

    @Test
    void hub_restart_loses_no_device_or_rental_and_the_tunnel_comes_back() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());

            world.stopHub();
            world.startHub();

            assertTrue(world.cli(dir, "market").out().contains(device), "the device is still registered");
            assertTrue(world.cli(renter.home, "rentals").out().contains(rental + "   " + device + "   active"));
            awaitTrue(
                    Duration.ofSeconds(60),
                    "ssh through the restarted hub",
                    () -> renter.ssh(rental, "hostname").out().strip().equals(rental));
            renter.end(rental).assertOk();
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the container to be gone after the end",
                    () -> containersOf(rental).isEmpty());
        }
    }

    /**
     * A preparation that fails (here the owner's renter image is not on the device yet) is tried again at
     * the next heartbeats, and the rental is served once the image is there; before, it stayed preparing.
     */
    @Test
    void a_failed_preparation_is_tried_again_until_the_rental_is_served() throws Exception {
        String image = "edgerent/late-" + Long.toHexString(System.nanoTime()) + ":latest";
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--image", image);
            Renter renter = world.renter("rita");
            CompletableFuture<World.Result> rented = CompletableFuture.supplyAsync(() -> renter.rent(device));
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the device to fail its first preparation",
                    () -> world.deviceLog().contains("No such image: " + image));
            World.run(Duration.ofSeconds(30), "docker", "tag", "edgerent/renter-base:latest", image)
                    .assertOk();

            String rental = Renter.rentalName(rented.get(120, TimeUnit.SECONDS).assertOk());
            assertEquals(
                    "hello", renter.ssh(rental, "echo hello").assertOk().out().strip());
            assertEquals(1, containersOf(rental).size(), "one container, however many attempts");
            renter.end(rental).assertOk();
        } finally {
            World.run(Duration.ofSeconds(30), "docker", "rmi", image);
        }
    }
}
