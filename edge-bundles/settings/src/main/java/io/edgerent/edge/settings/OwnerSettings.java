package io.edgerent.edge.settings;

import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;
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
    /**
     * Ends an AD's description to have the Kura web UI edit it in a text area rather than a one-line box: Kura
     * splits a description at its last '|' and reads "TextArea" after it (eclipse/kura, web2
     * AbstractServicesUi.isTextArea), showing only what comes before.
     */
    public static final String TEXT_AREA = "|TextArea";

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
     * The first settings, seen as {@code type}. Under Kura ({@code kura} not null) the component never fails to start
     * for a refused stored value (Kura pushes its latest snapshot back at every start, and a failed component takes
     * the device offline): each refused value falls back to its default, one at a time, keeping every value that
     * passes; the settings it starts with are logged and written back through Kura, so its form shows them. Without
     * Kura (the launcher) a refusal fails the activation, as {@link #activate(Map, Runnable)} does, and the launcher
     * says so and exits.
     */
    public synchronized <A> void activate(
            Map<String, ?> properties, ConfigurationService kura, Class<A> type, Consumer<A> apply) {
        try {
            apply.accept(TypedSettings.of(type, properties));
            inForce = Map.copyOf(properties);
            return;
        } catch (RuntimeException refused) {
            if (kura == null) {
                throw refused;
            }
            LOG.error("{}; starting with the defaults of the values refused", refused.getMessage());
        }
        Map<String, Object> defaults = TypedSettings.defaults(type);
        Map<String, Object> candidate = new HashMap<>(properties);
        int left = problems(type, candidate, apply);
        for (String key : new TreeSet<>(defaults.keySet())) {
            if (left == 0) {
                break;
            }
            if (Objects.equals(candidate.get(key), defaults.get(key))) {
                continue;
            }
            Map<String, Object> tried = new HashMap<>(candidate);
            tried.put(key, defaults.get(key));
            int problems = problems(type, tried, apply); // 0: taken
            if (problems < left) {
                LOG.warn(
                        "{}: {} = {} refused at start; its default {} is in force",
                        pid,
                        key,
                        candidate.get(key),
                        defaults.get(key));
                candidate = tried;
                left = problems;
            }
        }
        if (left > 0) {
            candidate = new HashMap<>(defaults);
            apply.accept(TypedSettings.of(type, candidate));
        }
        inForce = Map.copyOf(candidate);
        putBack(null, kura);
    }

    /** How many problems {@code apply} finds with {@code properties}; 0 once it took them (it changes nothing before). */
    private static <A> int problems(Class<A> type, Map<String, ?> properties, Consumer<A> apply) {
        try {
            apply.accept(TypedSettings.of(type, properties));
            return 0;
        } catch (Refusals.Refused refused) {
            return refused.problems;
        } catch (RuntimeException other) {
            return Integer.MAX_VALUE;
        }
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
