package io.edgerent.systemtests.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgerent.systemtests.support.World;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * Kura starts with {@code osgi.clean=true} and pushes its latest snapshot back into ConfigAdmin at every start
 * (eclipse/kura ConfigurationServiceImpl), so a value a component refused can reach its activation. A component that
 * threw there would disappear, the agent's references would go unsatisfied and the device would go offline. Here the
 * first configuration holds refused values, as such a snapshot would: every component starts all the same, each
 * refused value at its default, every other value kept, and what is in force is written back through Kura's
 * configuration service, so its next snapshot holds it.
 */
class KuraSnapshotTest {
    @TempDir
    Path dir;

    @Test
    void refused_values_from_a_snapshot_fall_back_to_their_defaults_and_every_component_stays_up() throws Exception {
        long hostMib = KuraRuntime.hostMib();
        String agentPid = "io.edgerent.edge.agent";
        String containersPid = "io.edgerent.edge.containers";
        try (KuraRuntime kura = new KuraRuntime(
                dir,
                Map.of(
                        agentPid,
                        Map.of(
                                "data.dir",
                                dir.resolve("agent").toString(),
                                "hub.uri",
                                "coap://127.0.0.1:9",
                                "heartbeat.seconds",
                                0,
                                "price.per.hour",
                                4242L),
                        "io.edgerent.edge.storage",
                        Map.of("base.path", dir.resolve("volumes").toString()),
                        containersPid,
                        Map.of("memory.mib", (int) hostMib + 1, "pids.limit", 100)))) {
            World.awaitTrue(Duration.ofSeconds(20), "every component active", () -> {
                try {
                    return kura.componentStates().values().stream()
                            .allMatch(s -> s.equals(List.of(ComponentConfigurationDTO.ACTIVE)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            World.awaitTrue(Duration.ofSeconds(10), "the settings in force written back", () -> {
                try {
                    return Integer.valueOf(30).equals(kura.setting(agentPid, "heartbeat.seconds"))
                            && Integer.valueOf(512).equals(kura.setting(containersPid, "memory.mib"));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(4242L, kura.setting(agentPid, "price.per.hour"), "a value that passes is kept");
            assertEquals("coap://127.0.0.1:9", kura.setting(agentPid, "hub.uri"));
            assertEquals(100, kura.setting(containersPid, "pids.limit"));
            assertEquals(30, kura.snapshot(agentPid).get("heartbeat.seconds"), "Kura's next snapshot holds it");
            assertEquals(512, kura.snapshot(containersPid).get("memory.mib"));
        }
    }
}
