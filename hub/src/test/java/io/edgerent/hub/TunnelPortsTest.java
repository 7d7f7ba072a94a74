package io.edgerent.hub;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub refuses tunnel ports inside the kernel's ephemeral range, read as Linux writes it ("LOW\tHIGH\n"). */
class TunnelPortsTest {
    @TempDir
    Path dir;

    @Test
    void a_tunnel_range_overlapping_the_ephemeral_range_is_refused_and_one_below_it_is_taken() throws IOException {
        Path range = Files.writeString(dir.resolve("ip_local_port_range"), "32768\t60999\n");
        IllegalArgumentException overlapping = assertThrows(
                IllegalArgumentException.class,
                () -> HubConfig.requireTunnelPortsOutsideEphemeral(40000, 40999, range));
        assertTrue(
                overlapping
                        .getMessage()
                        .startsWith(
                                "the tunnel ports 40000-40999 overlap the kernel's ephemeral range" + " 32768-60999"),
                overlapping.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> HubConfig.requireTunnelPortsOutsideEphemeral(30000, 32768, range));
        assertDoesNotThrow(() -> HubConfig.requireTunnelPortsOutsideEphemeral(20000, 20999, range));
        assertDoesNotThrow(() -> HubConfig.requireTunnelPortsOutsideEphemeral(61000, 61999, range));
        assertDoesNotThrow(
                () -> HubConfig.requireTunnelPortsOutsideEphemeral(40000, 40999, dir.resolve("absent")), "not Linux");
    }

    @Test
    void this_machine_s_own_range_is_read_whole() {
        Path proc = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        // procfs files report a size of 0: read naively, only "3" of "32768\t60999" arrives.
        if (Files.isReadable(proc)) {
            assertDoesNotThrow(() -> HubConfig.requireTunnelPortsOutsideEphemeral(1024, 1025, proc));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> HubConfig.requireTunnelPortsOutsideEphemeral(1024, 65535, proc));
        }
    }
}
