package io.edgerent.systemtests.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.World;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.ObjectClassDefinition;

/** The deployment package on Kura's runtime (see {@link KuraRuntime}): it resolves, starts, and every owner setting is described. */
class KuraRuntimeTest {
    static final List<String> PIDS = List.of(
            "io.edgerent.edge.agent",
            "io.edgerent.edge.containers",
            "io.edgerent.edge.storage",
            "io.edgerent.edge.tunnels");

    @TempDir
    Path dir;

    @Test
    void the_deployment_package_carries_our_bundles_and_theirs_but_no_second_bouncy_castle_or_slf4j() throws Exception {
        List<String> names = new ArrayList<>();
        try (JarInputStream dp = new JarInputStream(Files.newInputStream(KuraRuntime.BUNDLES.resolve("edgerent.dp")))) {
            assertEquals("edgerent", dp.getManifest().getMainAttributes().getValue("DeploymentPackage-SymbolicName"));
            for (var entry = dp.getNextJarEntry(); entry != null; entry = dp.getNextJarEntry()) {
                var section = dp.getManifest().getAttributes(entry.getName());
                assertNotNull(section, "the manifest names " + entry.getName());
                names.add(section.getValue("Bundle-SymbolicName"));
            }
        }
        assertEquals(
                List.of(
                        "com.github.mwiede.jsch",
                        "io.edgerent.edge.agent",
                        "io.edgerent.edge.containers",
                        "io.edgerent.edge.settings",
                        "io.edgerent.edge.tunnels",
                        "io.edgerent.link",
                        "io.edgerent.protocol",
                        "jul.to.slf4j",
                        "org.eclipse.californium.core",
                        "org.eclipse.californium.element-connector",
                        "org.eclipse.californium.scandium"),
                names.stream().sorted().toList());
    }

    /** DeploymentAdmin and Kura's Packages page show the package by these headers (OSGi Compendium 114.3.1). */
    @Test
    void the_deployment_package_names_itself() throws Exception {
        try (JarInputStream dp = new JarInputStream(Files.newInputStream(KuraRuntime.BUNDLES.resolve("edgerent.dp")))) {
            var main = dp.getManifest().getMainAttributes();
            assertEquals("edgerent", main.getValue("DeploymentPackage-SymbolicName"));
            assertEquals("edgerent", main.getValue("DeploymentPackage-Name"));
            assertEquals("the edgerent project", main.getValue("DeploymentPackage-Vendor"));
            assertTrue(main.getValue("DeploymentPackage-Description").startsWith("Rent out this device"));
            assertTrue(dp.getManifest().getEntries().size() >= 10, "each bundle keeps its section");
        }
    }

    /**
     * Kura counts an AD without {@code required="false"} as required and seeds no empty default, so an AD whose empty
     * value means "not set" must say it is optional, or the owner cannot apply the form without inventing a value.
     */
    @Test
    void every_setting_whose_empty_value_means_not_set_is_optional_as_kura_reads_the_metatype() throws Exception {
        List<String> checked = new ArrayList<>();
        List<String> required = new ArrayList<>();
        List<String> textAreas = new ArrayList<>();
        List<String> cutByKura = new ArrayList<>();
        try (JarInputStream dp = new JarInputStream(Files.newInputStream(KuraRuntime.BUNDLES.resolve("edgerent.dp")))) {
            for (var entry = dp.getNextJarEntry(); entry != null; entry = dp.getNextJarEntry()) {
                JarInputStream bundle = new JarInputStream(new java.io.ByteArrayInputStream(dp.readAllBytes()));
                for (var inner = bundle.getNextJarEntry(); inner != null; inner = bundle.getNextJarEntry()) {
                    if (inner.isDirectory() || !inner.getName().startsWith("OSGI-INF/metatype/")) {
                        continue;
                    }
                    var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
                    factory.setNamespaceAware(true);
                    var ads = factory.newDocumentBuilder()
                            .parse(new java.io.ByteArrayInputStream(bundle.readAllBytes()))
                            .getElementsByTagName("AD");
                    for (int i = 0; i < ads.getLength(); i++) {
                        var ad = (org.w3c.dom.Element) ads.item(i);
                        String id = inner.getName() + " " + ad.getAttribute("id");
                        checked.add(id);
                        boolean emptyDefault = !ad.hasAttribute("default")
                                || ad.getAttribute("default").isEmpty();
                        if (emptyDefault && !"false".equals(ad.getAttribute("required"))) {
                            required.add(id);
                        }
                        // Kura's web UI splits a description at its last '|' and takes "TextArea" after it as the
                        // hint to edit in a text area (AbstractServicesUi.isTextArea): any other '|' would cut it.
                        String description = ad.getAttribute("description");
                        if (description.endsWith("|TextArea")) {
                            textAreas.add(ad.getAttribute("id"));
                        } else if (description.contains("|")) {
                            cutByKura.add(id);
                        }
                    }
                }
            }
        }
        assertTrue(checked.size() > 20, "the metatype files were read: " + checked);
        assertEquals(List.of(), required, "ADs with an empty default that Kura would count as required");
        assertEquals(List.of("hub.key"), textAreas, "the hub key (one long line of base64) is edited in a text area");
        assertEquals(List.of(), cutByKura, "descriptions Kura would cut at a '|'");
    }

    @Test
    void every_bundle_starts_on_equinox_and_every_component_is_a_described_configurable_component() throws Exception {
        try (KuraRuntime kura = new KuraRuntime(
                dir,
                Map.of(
                        "io.edgerent.edge.agent",
                                Map.of("data.dir", dir.resolve("agent").toString(), "hub.uri", "coap://127.0.0.1:9"),
                        "io.edgerent.edge.storage",
                                Map.of("base.path", dir.resolve("volumes").toString())))) {
            assertEquals("org.eclipse.osgi", kura.bundles().get(0).getSymbolicName(), "Equinox is the framework");
            assertTrue(kura.bundles().get(0).getVersion().toString().startsWith("3.16."), "Equinox 3.16");
            for (Bundle bundle : kura.bundles()) {
                if (!KuraRuntime.isFragment(bundle)) {
                    assertEquals(
                            Bundle.ACTIVE,
                            bundle.getState(),
                            bundle.getSymbolicName() + " is not active: " + kura.bundleStates());
                }
            }
            World.awaitTrue(java.time.Duration.ofSeconds(20), "every component active", () -> {
                try {
                    return kura.componentStates().values().stream()
                            .allMatch(s -> s.equals(List.of(ComponentConfigurationDTO.ACTIVE)));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(PIDS, kura.componentStates().keySet().stream().sorted().toList(), "our components");
            assertEquals(
                    PIDS,
                    kura.configurableComponentPids(),
                    "registered as Kura ConfigurableComponents with their service.pid");

            for (String pid : PIDS) {
                ObjectClassDefinition ocd = kura.ocd(pid);
                assertNotNull(ocd, "MetaTypeService has no OCD for " + pid);
                assertEquals(pid, ocd.getID());
                assertFalse(ocd.getName().isBlank(), pid);
                assertTrue(ocd.getDescription().length() > 20, pid + " needs a description a person understands");
                assertTrue(
                        ocd.getAttributeDefinitions(ObjectClassDefinition.ALL).length >= 2,
                        pid + " describes its settings");
                for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
                    String what = pid + " " + ad.getID();
                    assertFalse(ad.getName().isBlank(), what + " has no name");
                    assertTrue(
                            ad.getDescription() != null && ad.getDescription().length() > 20,
                            what + " has no real description");
                    assertNotNull(ad.getDefaultValue(), what + " has no default");
                    boolean number =
                            ad.getType() == AttributeDefinition.INTEGER || ad.getType() == AttributeDefinition.LONG;
                    if (number) {
                        // The bounds the web UI enforces: the default passes, the type's extremes do not.
                        boolean isLong = ad.getType() == AttributeDefinition.LONG;
                        assertEquals("", ad.validate(ad.getDefaultValue()[0]), what + " default within bounds");
                        assertFalse(
                                ad.validate(String.valueOf(isLong ? Long.MIN_VALUE : Integer.MIN_VALUE))
                                        .isEmpty(),
                                what + " has no lower bound");
                        assertFalse(
                                ad.validate(String.valueOf(isLong ? Long.MAX_VALUE : Integer.MAX_VALUE))
                                        .isEmpty(),
                                what + " has no upper bound");
                    }
                    boolean secret = ad.getID().contains("token")
                            || ad.getID().contains("secret")
                            || ad.getID().contains("password");
                    assertEquals(
                            secret,
                            ad.getType() == AttributeDefinition.PASSWORD,
                            what + ": secrets, and only they, are passwords");
                }
            }
            List<String> agent =
                    List.of(kura.ocd("io.edgerent.edge.agent").getAttributeDefinitions(ObjectClassDefinition.ALL))
                            .stream()
                            .map(AttributeDefinition::getID)
                            .toList();
            assertTrue(
                    agent.containsAll(
                            List.of("hub.uri", "listed", "price.per.hour", "price.per.gb", "available.hours")),
                    agent.toString());
        }
    }
}
