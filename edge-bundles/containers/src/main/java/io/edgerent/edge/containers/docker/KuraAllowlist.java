package io.edgerent.edge.containers.docker;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Optional;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Kura 5.5's container allowlist enforcement, read from Kura's own settings: with its Container Orchestration
 * service enabled and enforcement on, Kura watches every container the engine starts and stops and deletes it
 * unless a registry digest of its image is in the list (eclipse-kura/kura AllowlistEnforcementMonitor). A renter
 * image built locally has no registry digest, so every rental's container would be deleted as it starts.
 */
final class KuraAllowlist {
    static final String PID = "org.eclipse.kura.container.orchestration.provider.ContainerOrchestrationService";

    private KuraAllowlist() {}

    /** Why a rental's container cannot start here, or empty when Kura's enforcement is off or absent. */
    static Optional<String> refusal(ConfigurationAdmin admin) {
        if (admin == null) {
            return Optional.empty();
        }
        Configuration[] found;
        try {
            found = admin.listConfigurations("(service.pid=" + PID + ")");
        } catch (IOException | InvalidSyntaxException e) {
            return Optional.empty(); // Kura's settings cannot be read: nothing to say about them
        }
        if (found == null || found.length == 0 || found[0].getProperties() == null) {
            return Optional.empty();
        }
        Dictionary<String, Object> settings = found[0].getProperties();
        if (Boolean.TRUE.equals(settings.get("enabled")) && Boolean.TRUE.equals(settings.get("enforcement.enabled"))) {
            return Optional.of("Kura's container allowlist enforcement is on (Container Orchestration, Allowlist"
                    + " Enforcement Enabled): Kura would stop and delete the rental's container as it starts, since the"
                    + " renter image has no registry digest to list; turn enforcement off to rent out this device");
        }
        return Optional.empty();
    }
}
