package io.edgerent.edge.settings;

import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import org.eclipse.kura.configuration.ConfigurationService;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settings an owner gave one component, through the Kura web UI or ConfigAdmin. A component
 * takes new settings whole or not at all: when it refuses them (a value out of bounds or beyond
 * this machine), the settings in force stay, and they are written back: through Kura's
 * ConfigurationService where there is one (so Kura's snapshot, which it pushes back at every start, holds
 * them), else to ConfigAdmin. Either way the web UI shows what the device really does and a restart does
 * not pick up the refused values.
 *
 * <p>A component's {@code apply} checks every value first and changes nothing until all pass.
 */
public final class OwnerSettings {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerSettings.class);

    private final String pid;
    private Map<String, Object> inForce;

    public OwnerSettings(String pid) {
        this.pid = pid;
    }

    /** The first settings. Refused ones fail the component's activation with the reason: there is nothing older to keep. */
    public synchronized void activate(Map<String, ?> properties, Runnable apply) {
        apply.run();
        inForce = Map.copyOf(properties);
    }

    /**
     * New settings: applied whole, or refused with the reason logged and the settings in force
     * written back.
     */
    public synchronized void modify(
            ConfigurationAdmin admin, ConfigurationService kura, Map<String, ?> properties, Runnable apply) {
        try {
            apply.run();
            inForce = Map.copyOf(properties);
        } catch (RuntimeException refused) {
            LOG.error("{}; the settings in force stay", refused.getMessage());
            putBack(admin, kura);
        }
    }

    private void putBack(ConfigurationAdmin admin, ConfigurationService kura) {
        if (inForce == null) {
            return;
        }
        Map<String, Object> properties = new HashMap<>();
        inForce.forEach((key, value) -> {
            if (!key.startsWith("component.")) { // added by SCR, not part of the configuration
                properties.put(key, value);
            }
        });
        try {
            if (kura != null) {
                kura.updateConfiguration(pid, properties);
            } else if (admin != null) {
                admin.getConfiguration(pid, "?").update(new Hashtable<>(properties));
            }
        } catch (Exception e) {
            LOG.error("could not write the settings in force of {} back: {}", pid, e.getMessage());
        }
    }
}
