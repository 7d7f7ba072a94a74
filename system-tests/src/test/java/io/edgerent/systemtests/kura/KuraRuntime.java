package io.edgerent.systemtests.kura;

import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.eclipse.osgi.launch.EquinoxFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The runtime Kura 5.3 gives the edge bundles: Equinox 3.16 with Felix SCR 2.1.16, Equinox
 * ConfigAdmin 1.4.400 and Metatype 1.5.300, Bouncy Castle 1.71 and slf4j 1.7.36 (all from Maven
 * Central, copied to target/kura-runtime by the pom), Kura's API (our stand-in: Kura itself is
 * not on Maven Central and cannot run here), and our deployment package installed through Felix
 * DeploymentAdmin 0.9.5 with Dependency Manager 3.0.0, Kura's own installer at Kura's versions.
 *
 * <p>Like Kura, it creates each configurable component's first configuration from the defaults
 * in its metatype; the test then changes settings through ConfigAdmin as the Kura web UI does. The
 * compendium API packages (ConfigAdmin, Metatype, SCR runtime) come from this class path, as they
 * come from org.eclipse.osgi.services on Kura, so the test can call those services.
 */
final class KuraRuntime implements AutoCloseable {
    static final Path BUNDLES = World.ROOT.resolve("system-tests/target/kura-runtime");
    static final String CONFIGURABLE_COMPONENT = "org.eclipse.kura.configuration.ConfigurableComponent";

    private final Framework framework;
    private final BundleContext context;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    /** Starts Equinox, installs and starts everything, and configures our components: defaults, then {@code settings}. */
    KuraRuntime(Path storage, Map<String, Map<String, Object>> settings) throws Exception {
        this(storage, settings, null);
    }

    /**
     * As {@link #KuraRuntime(Path, Map)}, with Kura's crypto service registered before our bundles start, decrypting
     * with {@code decrypt} (null: none, as under the Felix launcher). Kura registers it early, from its core bundle;
     * its interface is the stand-in's, as the agent imports it.
     */
    KuraRuntime(Path storage, Map<String, Map<String, Object>> settings, UnaryOperator<String> decrypt)
            throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.resolve("osgi").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                "org.osgi.service.cm;version=1.6.0,"
                        + "org.osgi.service.metatype;version=1.4.0,org.osgi.service.component;version=1.4.0,"
                        + "org.osgi.service.component.runtime;version=1.4.0,org.osgi.service.component.runtime.dto;version=1.4.0");
        config.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*");
        framework = new EquinoxFactory().newFramework(config);
        framework.start();
        context = framework.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        try (Stream<Path> jars = Files.list(BUNDLES)) {
            for (Path jar :
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                installed.add(context.installBundle(jar.toUri().toString()));
            }
        }
        for (Bundle bundle : installed) {
            startUnlessFragment(bundle);
        }
        // Kura's core registers these before any package is installed.
        if (decrypt != null) {
            registerCrypto(decrypt);
        }
        registerConfigurationService();
        List<Bundle> ours = installThroughDeploymentAdmin(BUNDLES.resolve("edgerent.dp"));
        configureFromMetatypeDefaults(ours, settings);
    }

    /**
     * Installs the package as Kura's System → Packages does: Felix DeploymentAdmin reads the .dp stream, checks its
     * manifest against its entries, installs the bundles and starts them. Returns the bundles it installed. The
     * service is called through its interface as the DeploymentAdmin bundle exports it (not on this class path).
     */
    private List<Bundle> installThroughDeploymentAdmin(Path dp) throws Exception {
        Bundle deploymentAdmin = Stream.of(context.getBundles())
                .filter(b -> "org.apache.felix.deploymentadmin".equals(b.getSymbolicName()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("Felix DeploymentAdmin is not installed"));
        Class<?> api = deploymentAdmin.loadClass("org.osgi.service.deploymentadmin.DeploymentAdmin");
        var reference = context.getServiceReference(api.getName());
        if (reference == null) {
            throw new IllegalStateException("no DeploymentAdmin service: " + bundleStates());
        }
        Object service = context.getService(reference);
        List<Long> before =
                Stream.of(context.getBundles()).map(Bundle::getBundleId).toList();
        try (InputStream in = Files.newInputStream(dp)) {
            api.getMethod("installDeploymentPackage", InputStream.class).invoke(service, in);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IllegalStateException("DeploymentAdmin refused " + dp + ": " + e.getCause(), e.getCause());
        }
        return Stream.of(context.getBundles())
                .filter(b -> !before.contains(b.getBundleId()))
                .toList();
    }

    /** What was applied through Kura's configuration service, per pid: the latest is what Kura's snapshot holds. */
    private final Map<String, Map<String, Object>> snapshot = new java.util.concurrent.ConcurrentHashMap<>();

    /** The settings of {@code pid} in Kura's latest snapshot, or null when none went through Kura's service. */
    Map<String, Object> snapshot(String pid) {
        return snapshot.get(pid);
    }

    /**
     * Kura's ConfigurationService as our components use it: updateConfiguration writes ConfigAdmin and takes a
     * snapshot, which Kura pushes back at every start (ConfigurationServiceImpl). Registered before our bundles start.
     */
    private void registerConfigurationService() throws Exception {
        Class<?> service = standIn().loadClass("org.eclipse.kura.configuration.ConfigurationService");
        Object kura =
                Proxy.newProxyInstance(service.getClassLoader(), new Class<?>[] {service}, (proxy, method, args) -> {
                    if (method.getName().equals("updateConfiguration") && args.length == 2) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> properties = (Map<String, Object>) args[1];
                        snapshot.put((String) args[0], Map.copyOf(properties));
                        admin().getConfiguration((String) args[0], "?").update(new Hashtable<>(properties));
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        context.registerService(service.getName(), kura, new Hashtable<>());
    }

    private Bundle standIn() {
        return Stream.of(context.getBundles())
                .filter(b -> "org.eclipse.kura.api.standin".equals(b.getSymbolicName()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the Kura API stand-in is not installed"));
    }

    /** A CryptoService whose decryptAes(char[]) is {@code decrypt}; its other methods are not called by our bundles. */
    private void registerCrypto(UnaryOperator<String> decrypt) throws Exception {
        Class<?> crypto = standIn().loadClass("org.eclipse.kura.crypto.CryptoService");
        Object service =
                Proxy.newProxyInstance(crypto.getClassLoader(), new Class<?>[] {crypto}, (proxy, method, args) -> {
                    if (method.getName().equals("decryptAes") && args.length == 1 && args[0] instanceof char[] value) {
                        return decrypt.apply(new String(value)).toCharArray();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        context.registerService(crypto.getName(), service, new Hashtable<>());
    }

    private static void startUnlessFragment(Bundle bundle) throws Exception {
        if ((bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) == 0) {
            bundle.start();
        }
    }

    /** As Kura does for a configurable component without a configuration: the metatype's defaults, here with the test's settings over them. */
    private void configureFromMetatypeDefaults(List<Bundle> bundles, Map<String, Map<String, Object>> settings)
            throws Exception {
        for (Bundle bundle : bundles) {
            MetaTypeInformation info = metatype().getMetaTypeInformation(bundle);
            if (info == null) {
                continue;
            }
            for (String pid : info.getPids()) {
                Dictionary<String, Object> properties = new Hashtable<>();
                for (var ad :
                        info.getObjectClassDefinition(pid, null).getAttributeDefinitions(ObjectClassDefinition.ALL)) {
                    String[] defaults = ad.getDefaultValue();
                    // Kura seeds no empty defaults: an empty one is no value at all (the AD must then be optional).
                    if (defaults != null && defaults.length == 1 && !defaults[0].isEmpty()) {
                        properties.put(ad.getID(), typed(ad.getType(), defaults[0]));
                    }
                }
                settings.getOrDefault(pid, Map.of()).forEach(properties::put);
                admin().getConfiguration(pid, "?").update(properties);
            }
        }
    }

    /** A metatype default as the type Kura's configuration service would store. */
    private static Object typed(int type, String text) {
        return switch (type) {
            case org.osgi.service.metatype.AttributeDefinition.INTEGER -> Integer.valueOf(text);
            case org.osgi.service.metatype.AttributeDefinition.LONG -> Long.valueOf(text);
            case org.osgi.service.metatype.AttributeDefinition.BOOLEAN -> Boolean.valueOf(text);
            default -> text;
        };
    }

    /** This machine's memory in MiB, as /proc/meminfo says: what the containers component bounds its limit by. */
    static long hostMib() throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream()
                .filter(l -> l.startsWith("MemTotal:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024)
                .findFirst()
                .orElseThrow();
    }

    List<Bundle> bundles() {
        return List.of(context.getBundles());
    }

    static boolean isFragment(Bundle bundle) {
        return (bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** The service.pid of every service registered as Kura's ConfigurableComponent. */
    List<String> configurableComponentPids() throws Exception {
        ServiceReference<?>[] refs = context.getServiceReferences(CONFIGURABLE_COMPONENT, null);
        List<String> pids = new ArrayList<>();
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            pids.add(String.valueOf(ref.getProperty(Constants.SERVICE_PID)));
        }
        Collections.sort(pids);
        return pids;
    }

    /** Each of our components' name and its configurations' states (ComponentConfigurationDTO.ACTIVE is 8). */
    Map<String, List<Integer>> componentStates() throws Exception {
        ServiceComponentRuntime scr = service(ServiceComponentRuntime.class);
        Map<String, List<Integer>> states = new LinkedHashMap<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (description.name.startsWith("io.edgerent.")) {
                states.put(
                        description.name,
                        scr.getComponentConfigurationDTOs(description).stream()
                                .map(c -> c.state)
                                .toList());
            }
        }
        return states;
    }

    /** The object class definition Kura's web UI renders for {@code pid}, from the bundle that declares it. */
    ObjectClassDefinition ocd(String pid) throws Exception {
        for (Bundle bundle : context.getBundles()) {
            MetaTypeInformation info = metatype().getMetaTypeInformation(bundle);
            if (info != null && List.of(info.getPids()).contains(pid)) {
                return info.getObjectClassDefinition(pid, null);
            }
        }
        return null;
    }

    /** Changes some settings of {@code pid} through ConfigAdmin, keeping the others, as saving the Kura web UI form does. */
    void configure(String pid, Map<String, Object> changes) throws IOException, InterruptedException {
        Configuration configuration = admin().getConfiguration(pid, "?");
        Dictionary<String, Object> properties = configuration.getProperties();
        changes.forEach(properties::put);
        // As Kura's form does: a snapshot of what was submitted, then ConfigAdmin (the component may refuse it).
        Map<String, Object> submitted = new HashMap<>();
        for (var keys = properties.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            submitted.put(key, properties.get(key));
        }
        snapshot.put(pid, Map.copyOf(submitted));
        configuration.update(properties);
    }

    /** The settings ConfigAdmin holds for {@code pid} now. */
    Object setting(String pid, String key) throws IOException, InterruptedException {
        return admin().getConfiguration(pid, "?").getProperties().get(key);
    }

    ConfigurationAdmin admin() throws InterruptedException {
        return service(ConfigurationAdmin.class);
    }

    private MetaTypeService metatype() throws InterruptedException {
        return service(MetaTypeService.class);
    }

    private <T> T service(Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        trackers.add(tracker);
        T service = tracker.waitForService(20_000);
        if (service == null) {
            throw new AssertionError(type.getSimpleName() + " did not start in Equinox: " + bundleStates());
        }
        return service;
    }

    String bundleStates() {
        StringBuilder states = new StringBuilder();
        for (Bundle b : context.getBundles()) {
            states.append(b.getSymbolicName()).append('=').append(b.getState()).append(' ');
        }
        return states.toString();
    }

    @Override
    public void close() throws Exception {
        trackers.forEach(ServiceTracker::close);
        framework.stop();
        framework.waitForStop(30_000);
    }
}
