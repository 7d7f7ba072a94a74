package io.edgerent.edge.launcher;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
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

    private static final String HELP = """
            Usage: edgerent device [options]

            Runs this machine as an edgerent device: the edge bundles (agent, containers, storage, tunnels) on
            Apache Felix, against the local Docker engine. The first start registers with the hub
            using --token; later starts resume where the device left off, rental included.
            Settings given here are written through ConfigAdmin, as the Kura web UI would, and kept.

            Options:
              --hub URI[,URI...]   the hub: coaps://HOST:PORT (CoAP over DTLS), or coap://127.0.0.1:PORT for a
                                   hub on this machine (default coap://127.0.0.1:5683); several hubs serving
                                   one fleet separated by commas: the next is used when one does not answer
              --token TOKEN        one-time registration token from `edgerent token`
              --hub-key KEY        talk only to a hub showing this key ("ecdsa-sha2-nistp256 AAAA...", as
                                   `edgerent hub` prints it and `edgerent provision` writes it); default:
                                   trust the key of the hub registered with
              --data DIR           device data: key, state, settings (default ~/.edgerent/device)
              --heartbeat SECONDS  heartbeat interval, 1-60 (default 30)
              --price-per-hour N   what renters pay per hour, smallest currency unit (default 0)
              --price-per-gb N     what renters pay per GB sent (default 0)
              --usage-seconds N    how often usage is reported to the hub, 5-3600 (default 60)
              --listed on|off      whether the market offers this device for new rentals (default on)
              --available-hours H  when it is offered: always, or 08:00-18:00 or 22:00-07:00,12:00-13:00
                                   in this machine's time zone (default always)
              --templates LIST     app templates renters may pick: base, web, files, comma-separated
                                   (default base,web,files)
              --region TEXT        where the device is, as renters filter the market by it (e.g. eu-west)
              --image IMAGE        renter image (default edgerent/renter-base:latest)
              --docker-host URI    Docker engine (default unix:///var/run/docker.sock)
              --memory-mib N       memory per rental, 64 to this machine's memory (default 512)
              --cpu-millicores N   CPU per rental in thousandths of a core, 100 to all cores (default 1000)
              --pids-limit N       processes per rental, 16-32768 (default 256)
              --storage-mib N      encrypted /data per rental, 16-4194304 MiB (default 1024)
              --egress on|off      whether rentals reach the internet (default on); never the LAN
              --storage-backend B  auto, luks2 or fscrypt (default auto: LUKS2 where dm-crypt is)
              --volumes DIR        where rental volumes live (default DATA/volumes)
              --keepalive SECONDS  how often tunnels check the hub still answers, 1-600 (default 10)
              --backoff-max SECONDS  longest wait between tunnel reconnects, 1-600 (default 8)
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
                case "--hub", "--hub-key", "--token", "--data", "--heartbeat", "--image", "--docker-host", "--price-per-hour", "--price-per-gb",
                        "--usage-seconds", "--memory-mib", "--cpu-millicores", "--pids-limit", "--storage-mib", "--egress",
                        "--storage-backend", "--volumes", "--listed", "--available-hours", "--templates", "--region",
                        "--keepalive", "--backoff-max" -> {
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
        ConfigurationAdmin admin = configurationAdmin(framework.getBundleContext());
        Map<String, Dictionary<String, Object>> previous = configure(admin, settings);
        startBundles(framework.getBundleContext(), true);
        List<String> problems = awaitHealthy(framework.getBundleContext(), check ? 30 : 15);
        List<String> refused = problems.stream().filter(p -> p.contains("refused")).toList();
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
        put(agent, "hub.key", options.get("--hub-key"));
        number(options, "--heartbeat", 1, 60).ifPresent(n -> agent.put("heartbeat.seconds", n.intValue()));
        number(options, "--price-per-hour", 0, 1_000_000_000_000L).ifPresent(n -> agent.put("price.per.hour", n));
        number(options, "--price-per-gb", 0, 1_000_000_000_000L).ifPresent(n -> agent.put("price.per.gb", n));
        number(options, "--usage-seconds", 5, 3600).ifPresent(n -> agent.put("usage.seconds", n.intValue()));
        onOff(options, "--listed").ifPresent(on -> agent.put("listed", on));
        put(agent, "available.hours", options.get("--available-hours"));
        put(agent, "templates", options.get("--templates"));
        put(agent, "region", options.get("--region"));
        Map<String, Object> tunnels = settings.get(TUNNELS);
        number(options, "--keepalive", 1, 600).ifPresent(n -> tunnels.put("keepalive.seconds", n.intValue()));
        number(options, "--backoff-max", 1, 600).ifPresent(n -> tunnels.put("backoff.max.seconds", n.intValue()));
        Map<String, Object> containers = settings.get(CONTAINERS);
        put(containers, "image", options.get("--image"));
        put(containers, "docker.host", options.get("--docker-host"));
        number(options, "--memory-mib", 64, 65536).ifPresent(n -> containers.put("memory.mib", n.intValue()));
        number(options, "--cpu-millicores", 100, 64000).ifPresent(n -> containers.put("cpu.millicores", n.intValue()));
        number(options, "--pids-limit", 16, 32768).ifPresent(n -> containers.put("pids.limit", n.intValue()));
        number(options, "--storage-mib", 16, 4194304).ifPresent(n -> containers.put("storage.mib", n.intValue()));
        onOff(options, "--egress").ifPresent(on -> containers.put("egress", on));
        Map<String, Object> storage = settings.get(STORAGE);
        storage.put("base.path", options.getOrDefault("--volumes", data.resolve("volumes").toString()));
        String backend = options.get("--storage-backend");
        if (backend != null && !List.of("auto", "luks2", "fscrypt").contains(backend)) {
            fail("--storage-backend takes auto, luks2 or fscrypt, got " + backend);
        }
        put(storage, "backend", backend);
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

    private static java.util.Optional<Boolean> onOff(Map<String, String> options, String option) {
        String text = options.get(option);
        if (text != null && !text.equals("on") && !text.equals("off")) {
            fail(option + " takes on or off, got " + text);
        }
        return java.util.Optional.ofNullable(text).map("on"::equals);
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
        Path bundles = bundlesDirectory();
        try (Stream<Path> jars = Files.list(bundles)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                context.installBundle(jar.toUri().toString());
            }
        }
        installDeploymentPackage(context, bundles.resolve("edgerent.dp"));
        startBundles(context, false);
        return framework;
    }

    /** Installs the bundles of a deployment package as Kura's deployment admin does: in the package's order. */
    public static List<Bundle> installDeploymentPackage(BundleContext context, Path dp) throws IOException, BundleException {
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
            boolean ours = bundle.getSymbolicName() != null && bundle.getSymbolicName().startsWith("io.edgerent.");
            if (bundle.getBundleId() != 0 && !fragment && ours == edgerent) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    System.err.println("edgerent device: bundle " + bundle.getSymbolicName() + " did not start: " + e.getMessage());
                }
            }
        }
    }

    private static Path bundlesDirectory() throws URISyntaxException {
        Path jar = Path.of(DeviceLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = jar.getParent().resolve("bundles");
        if (!Files.isDirectory(dir)) {
            fail("no bundles next to the launcher at " + dir + " (build with mvn package)");
        }
        return dir;
    }

    /** Writes the settings through ConfigAdmin; returns what each pid had before (null: nothing). */
    private static Map<String, Dictionary<String, Object>> configure(ConfigurationAdmin admin, Map<String, Map<String, Object>> settings)
            throws Exception {
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

    private static void restore(ConfigurationAdmin admin, Map<String, Dictionary<String, Object>> previous) throws Exception {
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
        ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> tracker = new ServiceTracker<>(context, ConfigurationAdmin.class, null);
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
            if (problems.isEmpty() || problems.stream().anyMatch(p -> p.contains("state " + ComponentConfigurationDTO.FAILED_ACTIVATION))) {
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
