package io.edgerent.edge.settings;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settings an owner gave one component, through the Kura web UI or ConfigAdmin. A component
 * takes new settings whole or not at all: when it refuses them (a value out of bounds or beyond
 * this machine), the settings in force stay, and they are written back to ConfigAdmin, so the web
 * UI shows what the device really does and a restart does not pick up the refused values.
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
    public synchronized void modify(ConfigurationAdmin admin, Map<String, ?> properties, Runnable apply) {
        try {
            apply.run();
            inForce = Map.copyOf(properties);
        } catch (RuntimeException refused) {
            LOG.error("{}; the settings in force stay", refused.getMessage());
            putBack(admin);
        }
    }

    private void putBack(ConfigurationAdmin admin) {
        if (admin == null || inForce == null) {
            return;
        }
        Dictionary<String, Object> properties = new Hashtable<>();
        inForce.forEach((key, value) -> {
            if (!key.startsWith("component.")) { // added by SCR, not part of the configuration
                properties.put(key, value);
            }
        });
        try {
            admin.getConfiguration(pid, "?").update(properties);
        } catch (IOException e) {
            LOG.error("could not write the settings in force of {} back: {}", pid, e.getMessage());
        }
    }
}
