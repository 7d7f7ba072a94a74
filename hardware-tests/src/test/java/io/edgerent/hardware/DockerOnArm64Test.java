package io.edgerent.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Pi's own Docker engine runs the arm64 renter image natively, no emulation. */
@ExtendWith(OnRaspberryPi.class)
class DockerOnArm64Test {
    @Test
    void the_renter_image_is_arm64_and_runs_natively() throws Exception {
        assertEquals(
                "aarch64",
                Tools.run("docker", "info", "--format", "{{.Architecture}}").strip());
        Tools.run(System.getenv().getOrDefault("EDGERENT_ROOT", ".") + "/container-images/build.sh", "renter-base");
        assertEquals(
                "arm64",
                Tools.run("docker", "image", "inspect", "--format", "{{.Architecture}}", "edgerent/renter-base:latest")
                        .strip());
        String inside = Tools.run(
                "docker",
                "run",
                "--rm",
                "--entrypoint",
                "sh",
                "edgerent/renter-base:latest",
                "-c",
                "uname -m; dpkg --print-architecture");
        assertEquals("aarch64\narm64\n", inside);
    }
}
