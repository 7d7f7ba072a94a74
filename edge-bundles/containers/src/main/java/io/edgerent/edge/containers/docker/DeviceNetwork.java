package io.edgerent.edge.containers.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Network;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The device's own network for its rentals: its Docker bridge, and the host firewall fencing it in. */
final class DeviceNetwork {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceNetwork.class);

    private DeviceNetwork() {}

    /**
     * The device's bridge, which its one rental at a time has to itself; named so the host firewall
     * knows it. Without internet access it is an internal network (no route out), which this device
     * still reaches for the tunnel. It holds nothing of a renter, so the next rental reuses it: making
     * and removing a bridge would cost a quarter of a second of every turnaround.
     */
    static String bridge(DockerClient docker, String deviceId, boolean egress) {
        String name = "edgerent-" + deviceId;
        Optional<Network> existing = docker.listNetworksCmd().withNameFilter(name).exec().stream()
                .filter(n -> n.getName().equals(name))
                .findFirst();
        if (existing.isPresent() && Boolean.TRUE.equals(existing.get().getInternal()) == egress) {
            docker.removeNetworkCmd(existing.get().getId()).exec(); // internet access was turned on or off
            existing = Optional.empty();
        }
        if (existing.isEmpty()) {
            docker.createNetworkCmd()
                    .withName(name)
                    .withDriver("bridge")
                    .withInternal(!egress)
                    .withLabels(Map.of(DockerContainers.DEVICE_LABEL, deviceId))
                    .withOptions(Map.of(
                            "com.docker.network.bridge.name",
                            HostFirewall.BRIDGE_PREFIX + deviceId.substring(2),
                            "com.docker.network.bridge.enable_icc",
                            "false"))
                    .exec();
            LOG.info("created network {} ({})", name, egress ? "with internet access" : "internal: no internet access");
        }
        return name;
    }

    /** The host firewall's chains as they should be (HostFirewall), checked before every container start. */
    static void fence() {
        try {
            HostFirewall.ensure();
        } catch (IOException e) {
            throw new IllegalStateException("cannot fence rentals off this device's network: " + e.getMessage(), e);
        }
    }
}
