package io.edgerent.edge.containers.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Kura's Container Orchestration settings as Kura stores them (eclipse-kura/kura, its metatype: {@code enabled} and
 * {@code enforcement.enabled}, Booleans, both false by default), in a ConfigurationAdmin that holds only them (a
 * stand-in: Kura itself cannot run here).
 */
class KuraAllowlistTest {
    @Test
    void onlyAnEnabledOrchestrationServiceWithEnforcementOnStopsRentals() {
        assertEquals(Optional.empty(), KuraAllowlist.refusal(null), "no ConfigurationAdmin: not under OSGi");
        assertEquals(Optional.empty(), KuraAllowlist.refusal(admin(null)), "no Kura orchestration settings");
        assertEquals(Optional.empty(), KuraAllowlist.refusal(admin(Map.of("enabled", true))));
        assertEquals(
                Optional.empty(),
                KuraAllowlist.refusal(admin(Map.of("enabled", false, "enforcement.enabled", true))),
                "enforcement is off while the orchestration service is");
        Optional<String> refused = KuraAllowlist.refusal(admin(Map.of("enabled", true, "enforcement.enabled", true)));
        assertTrue(refused.orElseThrow().contains("turn enforcement off"), refused.toString());
    }

    /** A ConfigurationAdmin holding Kura's orchestration settings {@code settings} (null: none). */
    private static ConfigurationAdmin admin(Map<String, Object> settings) {
        Configuration configuration = (Configuration) Proxy.newProxyInstance(
                Configuration.class.getClassLoader(), new Class<?>[] {Configuration.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProperties")) {
                        Dictionary<String, Object> properties = new Hashtable<>(settings);
                        properties.put("service.pid", KuraAllowlist.PID);
                        return properties;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(
                ConfigurationAdmin.class.getClassLoader(),
                new Class<?>[] {ConfigurationAdmin.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("listConfigurations")) {
                        assertEquals("(service.pid=" + KuraAllowlist.PID + ")", args[0]);
                        return settings == null ? null : new Configuration[] {configuration};
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
