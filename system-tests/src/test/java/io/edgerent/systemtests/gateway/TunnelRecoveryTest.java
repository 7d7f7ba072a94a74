package io.edgerent.systemtests.gateway;

import static io.edgerent.systemtests.support.Curl.curl;
import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device's tunnels heal by themselves after the hub goes away, and refuse a hub that is not the one pinned. */
class TunnelRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void after_a_hub_restart_ssh_and_http_work_again_without_touching_the_device() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            String url = "http://" + rental + ".localhost:" + world.httpPort + "/";
            renter.startWebServer(rental);
            awaitTrue(
                    Duration.ofSeconds(30),
                    "HTTP through the router",
                    () -> curl("-s", url).out().startsWith("hello from"));

            world.stopHub();
            assertNotEquals(0, curl("-s", url).code(), "no router while the hub is down");
            world.startHub();
            long started = System.nanoTime();
            // The device waits at most 8 s (its longest backoff) before trying again.
            awaitTrue(
                    Duration.ofSeconds(15),
                    "HTTP through the restarted hub",
                    () -> curl("-s", url).out().equals("hello from " + rental + "\n"));
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(rental, renter.ssh(rental, "hostname").assertOk().out().strip());
            assertTrue(world.deviceLog().contains("tunnel for " + rental + " open"), world.deviceLog());
            System.out.println("tunnels back " + seconds + " s after the hub started");
        }
    }

    @Test
    void a_hub_showing_another_host_key_is_refused_and_the_device_says_why() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice();
            Renter renter = world.renter("rita");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            renter.ssh(rental, "true").assertOk();

            // Someone else answers at the hub's address: same data, but a host key the device never pinned.
            world.stopHub();
            Files.delete(dir.resolve("hub/ssh_host_ecdsa_key"));
            world.startHub();

            awaitTrue(
                    Duration.ofSeconds(30),
                    "the device to refuse the unpinned host key",
                    () -> world.deviceLog()
                            .contains("refusing to open the tunnel for " + rental + ": the hub at 127.0.0.1:"
                                    + world.sshPort
                                    + " shows an SSH host key other than the one pinned at registration"));
            assertNotEquals(0, renter.ssh(rental, "true").code(), "no tunnel, no ssh");
            World.Result http =
                    curl("-s", "-w", "\n%{http_code}", "http://" + rental + ".localhost:" + world.httpPort + "/");
            assertTrue(http.out().endsWith("502") && http.out().contains("no tunnel open"), http.out());
        }
    }
}
