package io.edgerent.edge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code edgerent device}'s options come from the bundles' metatype: names, bounds and choices as Kura shows them. */
class DeviceSettingsTest {
    /** A metatype document of the shape bnd writes from the bundles' annotations (see OSGI-INF/metatype in the .dp). */
    private static final String METATYPE = """
            <?xml version="1.0" encoding="UTF-8"?>
            <metatype:MetaData xmlns:metatype="http://www.osgi.org/xmlns/metatype/v1.2.0">
              <OCD id="io.edgerent.edge.containers" name="edgerent containers" description="How renters' containers run.">
                <AD id="memory.mib" type="Integer" name="Memory limit (MiB)" description="Memory a rental may use." min="64" max="65536" default="512"/>
                <AD id="egress" type="Boolean" name="Internet access" description="Whether rentals reach the internet." default="true"/>
              </OCD>
              <OCD id="io.edgerent.edge.storage" name="edgerent storage" description="Storage.">
                <AD id="backend" type="String" name="Encryption" description="How." default="auto">
                  <Option label="auto" value="auto"/><Option label="LUKS2" value="luks2"/><Option label="fscrypt" value="fscrypt"/>
                </AD>
              </OCD>
              <OCD id="io.edgerent.edge.agent" name="edgerent agent" description="Agent.">
                <AD id="data.dir" type="String" name="Data directory" description="Where." default="/var/lib/edgerent/device"/>
                <AD id="price.per.hour" type="Long" name="Price per hour" description="Price." min="0" max="1000000000000" default="0"/>
              </OCD>
            </metatype:MetaData>
            """;

    private final List<DeviceSettings.Setting> settings =
            DeviceSettings.ofMetatype(METATYPE.strip().getBytes(StandardCharsets.UTF_8));

    @Test
    void every_attribute_is_an_option_but_the_ones_the_launcher_sets_itself() {
        assertEquals(
                List.of("--memory-mib", "--egress", "--storage-backend", "--price-per-hour"),
                settings.stream().map(DeviceSettings.Setting::option).toList());
    }

    @Test
    void values_are_checked_against_the_metatype_and_typed_as_config_admin_stores_them() {
        Map<String, Map<String, Object>> properties = DeviceLauncher.settings(
                settings,
                Map.of(
                        "--memory-mib",
                        "1024",
                        "--egress",
                        "off",
                        "--storage-backend",
                        "fscrypt",
                        "--price-per-hour",
                        "3600"),
                Path.of("/d"));
        assertEquals(Map.of("memory.mib", 1024, "egress", false), properties.get(DeviceLauncher.CONTAINERS));
        assertEquals(Map.of("backend", "fscrypt", "base.path", "/d/volumes"), properties.get(DeviceLauncher.STORAGE));
        assertEquals(Map.of("price.per.hour", 3600L, "data.dir", "/d/agent"), properties.get(DeviceLauncher.AGENT));
        assertEquals(Map.of(), properties.get(DeviceLauncher.TUNNELS), "nothing given, nothing changed");
    }

    @Test
    void a_value_outside_the_metatype_s_bounds_or_choices_is_refused_naming_them() {
        assertEquals("--memory-mib takes a whole number from 64 to 65536, got 63", refusal("--memory-mib", "63"));
        assertEquals("--memory-mib takes a whole number from 64 to 65536, got lots", refusal("--memory-mib", "lots"));
        assertEquals("--egress takes on or off, got yes", refusal("--egress", "yes"));
        assertEquals("--storage-backend takes auto, luks2 or fscrypt, got zfs", refusal("--storage-backend", "zfs"));
    }

    @Test
    void help_shows_each_setting_s_name_bounds_and_default() {
        String help = DeviceLauncher.commandLine(settings).getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(
                help.contains("--memory-mib=N")
                        && help.contains("Memory limit (MiB): Memory a rental may use. (64-65536) Default: 512."),
                help);
        assertTrue(help.contains("(on or off) Default: on."), help);
        assertTrue(help.contains("Exit codes:"), help);
    }

    private String refusal(String option, String value) {
        return assertThrows(
                        IllegalArgumentException.class,
                        () -> DeviceLauncher.settings(settings, Map.of(option, value), Path.of("/d")))
                .getMessage();
    }

    @Test
    void an_option_given_twice_takes_its_last_value() {
        var parsed = DeviceLauncher.commandLine(settings).parseArgs("--memory-mib", "128", "--memory-mib", "256");
        assertEquals("256", parsed.matchedOption("--memory-mib").getValue());
    }
}
