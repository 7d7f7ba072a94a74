package io.edgerent.edge.launcher;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code edgerent device}: runs the edge bundles on Apache Felix with SCR, ConfigAdmin and Metatype,
 * and configures them through ConfigAdmin the way Kura's web UI does.
 */
public final class DeviceLauncher {
    static final String AGENT = "io.edgerent.edge.agent";
    static final String CONTAINERS = "io.edgerent.edge.containers";
    static final String TUNNELS = "io.edgerent.edge.tunnels";
    static final String STORAGE = "io.edgerent.edge.storage";
    static final List<String> COMPONENTS = List.of(AGENT, CONTAINERS, STORAGE, TUNNELS);

    private DeviceLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("storage-helper")) {
            // The root side of storage for a device that is not root, outside OSGi (StorageHelper).
            System.exit(StorageHelperCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        JournalPriorities.installIfJournal();
        Path bundles = bundlesDirectory();
        List<DeviceSettings.Setting> settings = DeviceSettings.of(bundles.resolve("edgerent.dp"));
        CommandLine cli = commandLine(settings);
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            fail(e.getMessage() + " (see edgerent device --help)");
            return;
        }
        if (CommandLine.executeHelpRequest(parsed) != null) {
            return;
        }
        Map<String, String> options = new HashMap<>();
        for (OptionSpec option : parsed.matchedOptions()) {
            options.put(option.longestName(), String.valueOf((Object) option.getValue()));
        }
        boolean check = parsed.hasMatchedOption("--check");
        Path data = Path.of(options.getOrDefault("--data", System.getProperty("user.home") + "/.edgerent/device"))
                .toAbsolutePath();
        Map<String, Map<String, Object>> properties;
        try {
            properties = settings(settings, options, data);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        Framework framework = start(data, bundles);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(framework)));
        ConfigurationAdmin admin = configurationAdmin(framework.getBundleContext());
        Map<String, Dictionary<String, Object>> previous = configure(admin, properties);
        startBundles(framework.getBundleContext(), true);
        List<String> problems = awaitHealthy(framework.getBundleContext(), check ? 30 : 15);
        List<String> refused =
                problems.stream().filter(p -> p.contains("refused")).toList();
        if (!refused.isEmpty()) {
            // A component refused its new settings: put the old ones back, so a bad value changes nothing.
            restore(admin, previous);
            refused.forEach(p -> System.err.println("edgerent device: " + p));
            System.err.println("edgerent device: settings refused; nothing was changed");
            stop(framework);
            System.exit(2);
        }
        if (check) {
            problems.forEach(p -> System.out.println("problem: " + p));
            System.out.println(
                    problems.isEmpty() ? "all bundles active, all components active" : problems.size() + " problem(s)");
            System.exit(problems.isEmpty() ? 0 : 1);
        }
        if (problems.isEmpty()) {
            System.out.println("device running: data " + data + "; stop with Ctrl-C");
        } else {
            problems.forEach(p -> System.err.println("edgerent device: " + p));
        }
        framework.waitForStop(0);
    }

    /** {@code edgerent device}: the launcher's own options, then one per owner setting the bundles' metatype declares. */
    static CommandLine commandLine(List<DeviceSettings.Setting> settings) {
        CommandSpec spec = CommandSpec.create()
                .name("edgerent device")
                .mixinStandardHelpOptions(true)
                .version("edgerent device "
                        + Optional.ofNullable(DeviceLauncher.class.getPackage().getImplementationVersion())
                                .orElse("(built from source)"));
        spec.usageMessage()
                .description(
                        "Runs this machine as an edgerent device: the edge bundles (agent, containers, storage,"
                                + " tunnels) on Apache Felix, against the local Docker engine. The first start registers with the hub using --token;"
                                + " later starts resume where the device left off, rental included.",
                        "Settings given here are written through ConfigAdmin, as the Kura web UI would, and kept; they are the settings the"
                                + " Kura web UI shows, with the same bounds. A setting a component refuses changes nothing.",
                        "As root, 'storage-helper' instead serves rentals' encrypted storage to a device that does not run as"
                                + " root, such as Kura's (storage-helper --help).")
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(exitCodes())
                .sortOptions(false)
                .autoWidth(true);
        spec.addOption(OptionSpec.builder("--data")
                .paramLabel("DIR")
                .type(String.class)
                .description("device data: key, state, settings (default ~/.edgerent/device)")
                .build());
        spec.addOption(OptionSpec.builder("--check")
                .type(boolean.class)
                .description("start, report whether every bundle resolved"
                        + " and every component is active, stop; exit 0 only if all are")
                .build());
        for (DeviceSettings.Setting s : settings.stream()
                .sorted(Comparator.comparing(s -> COMPONENTS.indexOf(s.pid())))
                .toList()) {
            spec.addOption(OptionSpec.builder(s.option())
                    .paramLabel(s.label())
                    .type(String.class)
                    .description(s.help())
                    .build());
        }
        // An option given twice takes its last value, as it did before picocli.
        return new CommandLine(spec).setOverwrittenOptionsAllowed(true);
    }

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(" 0", "stopped, or --check found everything active");
        codes.put(" 1", "--check found a problem");
        codes.put(" 2", "a setting is wrong or was refused; nothing was changed");
        return codes;
    }

    /** The ConfigAdmin properties each option sets, by component pid; unset options keep what is stored. */
    static Map<String, Map<String, Object>> settings(
            List<DeviceSettings.Setting> settings, Map<String, String> options, Path data) {
        Map<String, Map<String, Object>> properties = DeviceSettings.properties(settings, options, COMPONENTS);
        properties.get(AGENT).put("data.dir", data.resolve("agent").toString());
        properties.get(STORAGE).putIfAbsent("base.path", data.resolve("volumes").toString());
        return properties;
    }

    private static Framework start(Path data, Path bundles) throws IOException, BundleException {
        Files.createDirectories(data);
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, data.resolve("osgi-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("felix.cm.dir", data.resolve("config").toString());
        config.put("felix.log.level", "1");
        // The launcher talks to ConfigAdmin and SCR, so their API comes from the launcher's class path.
        config.put(
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                "org.osgi.service.cm;version=1.6.0,"
                        + "org.osgi.service.component.runtime;version=1.4.0,org.osgi.service.component.runtime.dto;version=1.4.0,"
                        + "org.osgi.service.component;version=1.4.0");
        config.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.californium", "warn");
        Framework framework =
                ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.start();
        BundleContext context = framework.getBundleContext();
        try (Stream<Path> jars = Files.list(bundles)) {
            for (Path jar :
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                context.installBundle(jar.toUri().toString());
            }
        }
        installDeploymentPackage(context, bundles.resolve("edgerent.dp"));
        startBundles(context, false);
        return framework;
    }

    /** Installs the bundles of a deployment package as Kura's deployment admin does: in the package's order. */
    public static List<Bundle> installDeploymentPackage(BundleContext context, Path dp)
            throws IOException, BundleException {
        List<Bundle> bundles = new ArrayList<>();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(dp))) {
            for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                if (entry.getName().endsWith(".jar")) {
                    bundles.add(context.installBundle(dp.toUri() + "!/" + entry.getName(), new NonClosing(in)));
                }
            }
        }
        return bundles;
    }

    /** The deployment package's stream, handed to the framework one entry at a time. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // The next entry follows in the same stream.
        }
    }

    /**
     * Starts the framework's services ({@code edgerent == false}) or the edgerent bundles. The
     * launcher writes the settings in between, so the components activate with them and a setting
     * they refuse shows as their failure.
     */
    private static void startBundles(BundleContext context, boolean edgerent) {
        for (Bundle bundle : context.getBundles()) {
            boolean fragment = (bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            boolean ours =
                    bundle.getSymbolicName() != null && bundle.getSymbolicName().startsWith("io.edgerent.");
            if (bundle.getBundleId() != 0 && !fragment && ours == edgerent) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    System.err.println("edgerent device: bundle " + bundle.getSymbolicName() + " did not start: "
                            + e.getMessage());
                }
            }
        }
    }

    private static Path bundlesDirectory() throws URISyntaxException {
        Path jar = Path.of(DeviceLauncher.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path dir = jar.getParent().resolve("bundles");
        if (!Files.isDirectory(dir)) {
            fail("no bundles next to the launcher at " + dir + " (build with mvn package)");
        }
        return dir;
    }

    /** Writes the settings through ConfigAdmin; returns what each pid had before (null: nothing). */
    private static Map<String, Dictionary<String, Object>> configure(
            ConfigurationAdmin admin, Map<String, Map<String, Object>> settings) throws Exception {
        Map<String, Dictionary<String, Object>> previous = new LinkedHashMap<>();
        for (var entry : settings.entrySet()) {
            Configuration configuration = admin.getConfiguration(entry.getKey(), "?");
            Dictionary<String, Object> before = configuration.getProperties();
            previous.put(entry.getKey(), before);
            Dictionary<String, Object> properties = new Hashtable<>();
            if (before != null) {
                for (String key : java.util.Collections.list(before.keys())) {
                    properties.put(key, before.get(key));
                }
            }
            for (var setting : entry.getValue().entrySet()) {
                properties.put(setting.getKey(), setting.getValue());
            }
            configuration.updateIfDifferent(properties);
        }
        return previous;
    }

    private static void restore(ConfigurationAdmin admin, Map<String, Dictionary<String, Object>> previous)
            throws Exception {
        for (var entry : previous.entrySet()) {
            Configuration configuration = admin.getConfiguration(entry.getKey(), "?");
            if (entry.getValue() == null) {
                configuration.delete();
            } else {
                configuration.update(entry.getValue());
            }
        }
    }

    private static ConfigurationAdmin configurationAdmin(BundleContext context) throws InterruptedException {
        ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> tracker =
                new ServiceTracker<>(context, ConfigurationAdmin.class, null);
        tracker.open();
        ConfigurationAdmin admin = tracker.waitForService(10_000);
        if (admin == null) {
            fail("ConfigAdmin did not start");
        }
        return admin;
    }

    /** Waits until every bundle is active and every component satisfied and active; returns what is not. */
    static List<String> awaitHealthy(BundleContext context, int seconds) throws InterruptedException {
        ServiceTracker<ServiceComponentRuntime, ServiceComponentRuntime> tracker =
                new ServiceTracker<>(context, ServiceComponentRuntime.class, null);
        tracker.open();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<String> problems;
        do {
            problems = new ArrayList<>();
            for (Bundle bundle : context.getBundles()) {
                boolean fragment = (bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
                if (!fragment && bundle.getState() != Bundle.ACTIVE) {
                    problems.add("bundle " + bundle.getSymbolicName() + " is " + state(bundle) + unresolved(bundle));
                }
            }
            ServiceComponentRuntime scr = tracker.getService();
            if (scr == null) {
                problems.add("Felix SCR is not running");
            } else {
                List<String> seen = new ArrayList<>();
                for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
                    seen.add(description.name);
                    for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(description)) {
                        if (c.state != ComponentConfigurationDTO.ACTIVE) {
                            problems.add("component " + description.name + " is not active (state " + c.state
                                    + (c.failure == null
                                            ? ""
                                            : ": "
                                                    + c.failure
                                                            .lines()
                                                            .findFirst()
                                                            .orElse("")) + ")");
                        }
                    }
                    if (scr.getComponentConfigurationDTOs(description).isEmpty()) {
                        problems.add("component " + description.name + " has no configuration");
                    }
                }
                for (String name : COMPONENTS) {
                    if (!seen.contains(name)) {
                        problems.add("component " + name + " is missing");
                    }
                }
            }
            if (problems.isEmpty()
                    || problems.stream()
                            .anyMatch(p -> p.contains("state " + ComponentConfigurationDTO.FAILED_ACTIVATION))) {
                break; // healthy, or a component refused to activate, which waiting does not mend
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        tracker.close();
        return problems;
    }

    private static String state(Bundle bundle) {
        return switch (bundle.getState()) {
            case Bundle.INSTALLED -> "installed but not resolved";
            case Bundle.RESOLVED -> "resolved but not started";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            default -> "in state " + bundle.getState();
        };
    }

    private static String unresolved(Bundle bundle) {
        if (bundle.getState() != Bundle.INSTALLED) {
            return "";
        }
        try {
            bundle.start();
            return "";
        } catch (BundleException e) {
            return ": " + e.getMessage();
        }
    }

    private static void stop(Framework framework) {
        try {
            framework.stop();
            framework.waitForStop(20_000);
        } catch (BundleException | InterruptedException e) {
            System.err.println("edgerent device: stopping the framework: " + e.getMessage());
        }
    }

    private static void fail(String message) {
        System.err.println("edgerent device: " + message);
        System.exit(2);
    }
}
