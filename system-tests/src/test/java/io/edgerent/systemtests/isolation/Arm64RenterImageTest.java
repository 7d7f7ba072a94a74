package io.edgerent.systemtests.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The renter image a Raspberry Pi runs, built for arm64 by container-images/build.sh --arch arm64,
 * started here under emulation (qemu-user-static through binfmt_misc, which is what stands in for
 * the Pi's CPU on this amd64 machine), and logged into with the real ssh client through the hub.
 */
class Arm64RenterImageTest {
    static final String IMAGE = "edgerent/renter-base:arm64";

    @TempDir
    Path dir;

    @Test
    void an_arm64_renter_container_is_rented_and_reached_with_ssh_through_the_hub() {
        World.Result image = World.run(
                Duration.ofSeconds(30),
                "docker",
                "image",
                "inspect",
                "--format",
                "{{.Architecture}} {{index .Config.Labels \"edgerent.arch\"}}",
                IMAGE);
        assertEquals(
                0,
                image.code(),
                IMAGE + " is missing: build it with container-images/build.sh --arch arm64 renter-base"
                        + " (./edgerent test does)\n" + image.err());
        assertEquals("arm64 arm64", image.out().strip());
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--image", IMAGE);
            Renter renter = world.renter("ann");
            String rental = Renter.rentalName(renter.rent(device).assertOk());
            World.Result arch = renter.ssh(
                    rental,
                    "uname -m; dpkg --print-architecture; python3 -c 'import platform; print(platform.machine())'");
            assertEquals("aarch64\narm64\naarch64\n", arch.out(), arch.err());
            renter.end(rental).assertOk();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
