package io.edgerent.edge.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
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

/**
 * {@code edgerent device}: runs the edge bundles on Apache Felix with SCR, ConfigAdmin and Metatype,
 * and configures them through ConfigAdmin the way Kura's web UI does.
 */
public final class DeviceLauncher {
    static final String AGENT = "io.edgerent.edge.agent";
    static final String CONTAINERS = "io.edgerent.edge.containers";
    static final String TUNNELS = "io.edgerent.edge.tunnels";
    static final List<String> COMPONENTS = List.of(AGENT, CONTAINERS, TUNNELS);

    private static final String HELP = """
            Usage: edgerent device [options]

            Runs this machine as an edgerent device: the edge bundles (agent, containers, tunnels) on
            Apache Felix, against the local Docker engine. The first start registers with the hub
            using --token; later starts resume where the device left off, rental included.
            Settings given here are written through ConfigAdmin, as the Kura web UI would, and kept.

            Options:
              --hub URI            the hub's CoAP address (default coap://127.0.0.1:5683)
              --token TOKEN        one-time registration token from `edgerent token`
              --data DIR           device data: key, state, settings (default ~/.edgerent/device)
              --heartbeat SECONDS  heartbeat interval, 1-60 (default 30)
              --price-per-hour N   what renters pay per hour, smallest currency unit (default 0)
              --price-per-gb N     what renters pay per GB sent (default 0)
              --usage-seconds N    how often usage is reported to the hub, 5-3600 (default 60)
              --image IMAGE        renter image (default edgerent/renter-base:latest)
              --docker-host URI    Docker engine (default unix:///var/run/docker.sock)
              --check              start, report whether every bundle resolved and every
                                   component is active, stop; exit 0 only if all are
              -h, --help           show this help
            """;

    private DeviceLauncher() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    System.out.print(HELP);
                    return;
                }
                case "--check" -> check = true;
                case "--hub", "--token", "--data", "--heartbeat", "--image", "--docker-host", "--price-per-hour", "--price-per-gb",
                        "--usage-seconds" -> {
                    if (i + 1 >= args.length) {
                        fail(args[i] + " needs a value");
                    }
                    options.put(args[i], args[++i]);
                }
                default -> fail("unknown option " + args[i] + " (see edgerent device --help)");
            }
        }
        Path data = Path.of(options.getOrDefault("--data", System.getProperty("user.home") + "/.edgerent/device")).toAbsolutePath();
        Map<String, Map<String, Object>> settings = settings(options, data);
        Framework framework = start(data);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(framework)));
        configure(framework.getBundleContext(), settings);
        List<String> problems = awaitHealthy(framework.getBundleContext(), check ? 30 : 15);
        if (check) {
            problems.forEach(p -> System.out.println("problem: " + p));
            System.out.println(problems.isEmpty() ? "all bundles active, all components active" : problems.size() + " problem(s)");
            System.exit(problems.isEmpty() ? 0 : 1);
        }
        if (problems.isEmpty()) {
            System.out.println("device running: data " + data + "; stop with Ctrl-C");
        } else {
            problems.forEach(p -> System.err.println("edgerent device: " + p));
        }
        framework.waitForStop(0);
    }

    /** The ConfigAdmin properties each option sets, by component pid; unset options keep what is stored. */
    static Map<String, Map<String, Object>> settings(Map<String, String> options, Path data) {
        Map<String, Map<String, Object>> settings = new LinkedHashMap<>();
        COMPONENTS.forEach(pid -> settings.put(pid, new LinkedHashMap<>()));
        Map<String, Object> agent = settings.get(AGENT);
        agent.put("data.dir", data.resolve("agent").toString());
        put(agent, "hub.uri", options.get("--hub"));
        put(agent, "registration.token", options.get("--token"));
        number(options, "--heartbeat", 1, 60).ifPresent(n -> agent.put("heartbeat.seconds", n.intValue()));
        number(options, "--price-per-hour", 0, 1_000_000_000_000L).ifPresent(n -> agent.put("price.per.hour", n));
        number(options, "--price-per-gb", 0, 1_000_000_000_000L).ifPresent(n -> agent.put("price.per.gb", n));
        number(options, "--usage-seconds", 5, 3600).ifPresent(n -> agent.put("usage.seconds", n.intValue()));
        put(settings.get(CONTAINERS), "image", options.get("--image"));
        put(settings.get(CONTAINERS), "docker.host", options.get("--docker-host"));
        return settings;
    }

    private static java.util.Optional<Long> number(Map<String, String> options, String option, long min, long max) {
        String text = options.get(option);
        if (text == null) {
            return java.util.Optional.empty();
        }
        try {
            long n = Long.parseLong(text);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return java.util.Optional.of(n);
        } catch (NumberFormatException e) {
            fail(option + " takes a whole number from " + min + " to " + max + ", got " + text);
            return java.util.Optional.empty();
        }
    }

    private static void put(Map<String, Object> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private static Framework start(Path data) throws IOException, BundleException, URISyntaxException {
        Files.createDirectories(data);
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, data.resolve("osgi-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("felix.cm.dir", data.resolve("config").toString());
        config.put("felix.log.level", "1");
        // The launcher talks to ConfigAdmin and SCR, so their API comes from the launcher's class path.
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.osgi.service.cm;version=1.6.0,"
                + "org.osgi.service.component.runtime;version=1.4.0,org.osgi.service.component.runtime.dto;version=1.4.0,"
                + "org.osgi.service.component;version=1.4.0");
        config.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.californium", "warn");
        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.start();
        BundleContext context = framework.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        try (Stream<Path> jars = Files.list(bundlesDirectory())) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                installed.add(context.installBundle(jar.toUri().toString()));
            }
        }
        for (Bundle bundle : installed) {
            if ((bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) == 0) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    System.err.println("edgerent device: bundle " + bundle.getSymbolicName() + " did not start: " + e.getMessage());
                }
            }
        }
        return framework;
    }

    private static Path bundlesDirectory() throws URISyntaxException {
        Path jar = Path.of(DeviceLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = jar.getParent().resolve("bundles");
        if (!Files.isDirectory(dir)) {
            fail("no bundles next to the launcher at " + dir + " (build with mvn package)");
        }
        return dir;
    }

    private static void configure(BundleContext context, Map<String, Map<String, Object>> settings) throws Exception {
        ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> tracker = new ServiceTracker<>(context, ConfigurationAdmin.class, null);
        tracker.open();
        ConfigurationAdmin admin = tracker.waitForService(10_000);
        if (admin == null) {
            fail("ConfigAdmin did not start");
        }
        for (var entry : settings.entrySet()) {
            Configuration configuration = admin.getConfiguration(entry.getKey(), "?");
            Dictionary<String, Object> properties = configuration.getProperties();
            if (properties == null) {
                properties = new Hashtable<>();
            }
            for (var setting : entry.getValue().entrySet()) {
                properties.put(setting.getKey(), setting.getValue());
            }
            configuration.updateIfDifferent(properties);
        }
        tracker.close();
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
                                    + (c.failure == null ? "" : ": " + c.failure.lines().findFirst().orElse("")) + ")");
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
            if (problems.isEmpty()) {
                break;
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
