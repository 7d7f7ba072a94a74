package io.edgerent.edge.containers.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Statistics;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.InvocationBuilder;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.edgerent.edge.containers.ContainerException;
import io.edgerent.edge.containers.ContainerSpec;
import io.edgerent.edge.containers.ContainerUsage;
import io.edgerent.edge.containers.RentalContainers;
import io.edgerent.edge.containers.RunningContainer;
import io.edgerent.edge.settings.OwnerSettings;
import io.edgerent.edge.settings.Refusals;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.configuration.ConfigurationService;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Rental containers on the local Docker engine, labelled with their rental so a restart finds them. */
@Component(
        name = DockerContainers.PID,
        immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {RentalContainers.class, ConfigurableComponent.class})
@Designate(ocd = DockerContainers.Config.class)
public class DockerContainers implements RentalContainers, ConfigurableComponent {
    public static final String PID = "io.edgerent.edge.containers";
    static final String RENTAL_LABEL = "io.edgerent.rental";
    static final String DEVICE_LABEL = "io.edgerent.device";
    /** On the short-lived container an image is exported from to be unpacked, never started. */
    static final String UNPACKING_LABEL = "io.edgerent.unpacking";

    private static final long MIB = 1024L * 1024L;
    private static final Logger LOG = LoggerFactory.getLogger(DockerContainers.class);

    @ObjectClassDefinition(
            id = PID,
            name = "edgerent containers",
            description = "How renters' containers run on this device.")
    public @interface Config {
        @AttributeDefinition(name = "Docker engine", description = "Address of the local Docker engine.")
        String docker_host() default "unix:///var/run/docker.sock";

        @AttributeDefinition(
                name = "Renter image",
                description = "The image renters get for the base template:"
                        + " Debian with OpenSSH, built by container-images/build.sh renter-base.")
        String image() default "edgerent/renter-base:latest";

        @AttributeDefinition(
                name = "Memory limit (MiB)",
                description = "Memory a rental may use; swap is not added.",
                min = "64",
                max = "65536")
        int memory_mib() default 512;

        @AttributeDefinition(
                name = "CPU limit (cores)",
                description = "CPU time a rental may use, in thousandths of" + " a core (1000 = one core).",
                min = "100",
                max = "64000")
        int cpu_millicores() default 1000;

        @AttributeDefinition(
                name = "Process limit",
                description = "Most processes a rental may run at once.",
                min = "16",
                max = "32768")
        int pids_limit() default 256;

        @AttributeDefinition(
                name = "Storage (MiB)",
                description =
                        "Size of each rental's encrypted volume: everything it writes, in /data and anywhere else.",
                min = "16",
                max = "4194304")
        int storage_mib() default 1024;

        @AttributeDefinition(
                name = "Internet access",
                description = "Whether rentals may reach the internet. Your home"
                        + " network and this device are out of their reach either way.")
        boolean egress() default true;

        @AttributeDefinition(
                name = "Name servers",
                description = "Public DNS servers rentals' names are resolved with, comma-separated (at most three)."
                        + " Your router's or any private address is refused: it would answer for your home"
                        + " network's names.")
        String dns_servers() default Resolvers.DEFAULT;
    }

    @Reference
    private RentalVolumes volumes;

    @Reference
    private ConfigurationAdmin configurationAdmin;

    /** Kura's configuration service, where there is one: refused settings are written back through it (OwnerSettings). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private ConfigurationService kuraConfiguration;

    private final OwnerSettings settings = new OwnerSettings(PID);
    private volatile Config config;
    /** {@link Config#dns_servers()}, parsed and checked when the settings came. */
    private volatile List<String> nameServers = List.of();

    private volatile DockerClient docker;
    private String dockerHost;

    public DockerContainers() {}

    /** Containers outside OSGi, with their volumes given rather than injected (benchmarks). */
    DockerContainers(RentalVolumes volumes, Config config) {
        this.volumes = volumes;
        apply(config);
    }

    @Activate
    void activate(Config config, Map<String, Object> properties) {
        settings.activate(properties, kuraConfiguration, Config.class, this::apply);
    }

    /** Limits and image apply from the next rental on; the one running keeps what it started with. */
    @Modified
    void modified(Config config, Map<String, Object> properties) {
        settings.modify(configurationAdmin, kuraConfiguration, properties, () -> apply(config));
    }

    /** Takes the settings whole, or refuses them (IllegalArgumentException) with every reason and changes nothing. */
    private synchronized void apply(Config config) {
        Refusals refusals = new Refusals("containers");
        Limits.check(refusals, config.memory_mib(), config.cpu_millicores(), config.pids_limit(), config.storage_mib());
        String image = config.image() == null ? "" : config.image().strip();
        refusals.require(
                !image.isEmpty() && !image.contains(" "),
                "renter image must be an image name such as" + " edgerent/renter-base:latest, got '" + config.image()
                        + "'");
        String host = config.docker_host() == null ? "" : config.docker_host().strip();
        refusals.require(
                host.startsWith("unix:///") || host.startsWith("tcp://"),
                "Docker engine must be unix:///PATH or" + " tcp://HOST:PORT, got '" + config.docker_host() + "'");
        List<String> servers = List.of();
        try {
            servers = Resolvers.parse(config.dns_servers());
        } catch (IllegalArgumentException e) {
            refusals.require(false, e.getMessage());
        }
        refusals.throwIfAny();
        this.config = config;
        this.nameServers = servers;
        if (!host.equals(dockerHost)) {
            closeClient();
            dockerHost = host;
            DefaultDockerClientConfig clientConfig = DefaultDockerClientConfig.createDefaultConfigBuilder()
                    .withDockerHost(dockerHost)
                    .build();
            docker = DockerClientImpl.getInstance(
                    clientConfig,
                    new ZerodepDockerHttpClient.Builder()
                            .dockerHost(clientConfig.getDockerHost())
                            .connectionTimeout(Duration.ofSeconds(10))
                            .responseTimeout(Duration.ofMinutes(2))
                            .build());
            LOG.info("using the Docker engine at {}", dockerHost);
        }
        LOG.info(
                "rental limits: memory {} MiB, CPU {} millicores, {} processes, storage {} MiB, internet {}, image {},"
                        + " name servers {}",
                config.memory_mib(),
                config.cpu_millicores(),
                config.pids_limit(),
                config.storage_mib(),
                config.egress() ? "on" : "off",
                image,
                servers);
    }

    @Deactivate
    synchronized void deactivate() {
        closeClient();
    }

    @Override
    public RunningContainer start(ContainerSpec spec) {
        return inBundle("start the container of " + spec.rental(), () -> {
            KuraAllowlist.refusal(configurationAdmin).ifPresent(why -> {
                throw new IllegalStateException(why);
            });
            DeviceNetwork.fence();
            Optional<RunningContainer> existing = find(spec.rental());
            String id;
            if (existing.isPresent() && volumes.find(spec.rental()).isEmpty()) {
                // Its /data is locked for good (the key lived only in memory): it must not start on a bare directory.
                LOG.warn(
                        "the container of {} lost its /data key (restart); replacing it with a fresh one",
                        spec.rental());
                docker.removeContainerCmd(existing.get().containerId())
                        .withForce(true)
                        .exec();
                existing = Optional.empty();
            }
            Config c = config;
            List<String> dns = nameServers;
            // The container's root: the image unpacked below, the rental's changes above on its encrypted volume.
            String imageId = existing.isPresent()
                    ? existing.get().imageId()
                    : docker.inspectImageCmd(c.image()).exec().getId();
            volumes.unpack(imageId, out -> export(imageId, out));
            Volume volume = volumes.open(spec.rental(), c.storage_mib() * MIB);
            RentalVolumes.Root root = volumes.root(spec.rental(), imageId);
            if (existing.isPresent()) {
                id = existing.get().containerId();
            } else {
                String network = DeviceNetwork.bridge(docker, spec.deviceId(), c.egress());
                id = docker.createContainerCmd(imageId)
                        .withName("edgerent-" + spec.rental())
                        .withHostName(spec.rental())
                        .withLabels(Map.of(RENTAL_LABEL, spec.rental(), DEVICE_LABEL, spec.deviceId()))
                        .withEnv(ContainerShape.environment(spec, c))
                        .withHostConfig(ContainerShape.hostConfig(
                                c, dns, network, ContainerShape.binds(root, volume.dataDir())))
                        .exec()
                        .getId();
                LOG.info("created container {} for {} from {}", id.substring(0, 12), spec.rental(), imageId);
            }
            if (existing.isEmpty() || !existing.get().running()) {
                docker.startContainerCmd(id).exec();
            }
            return inspect(spec.rental(), id);
        });
    }

    /** The image's files as a tar: the export of a container made from it and never started. */
    private void export(String imageId, java.io.OutputStream out) throws IOException {
        String container = docker.createContainerCmd(imageId)
                .withLabels(Map.of(UNPACKING_LABEL, "true"))
                .exec()
                .getId();
        try (var tar = docker.exportContainerCmd(container).exec()) {
            tar.transferTo(out);
        } finally {
            docker.removeContainerCmd(container).withForce(true).exec();
        }
    }

    @Override
    public Optional<RunningContainer> find(String rental) {
        return inBundle("find the container of " + rental, () -> {
            List<Container> found = docker.listContainersCmd()
                    .withShowAll(true)
                    .withLabelFilter(Map.of(RENTAL_LABEL, rental))
                    .exec();
            return found.isEmpty()
                    ? Optional.empty()
                    : Optional.of(inspect(rental, found.get(0).getId()));
        });
    }

    @Override
    public void pause(String rental) {
        inBundle("pause the container of " + rental, () -> {
            find(rental).filter(c -> c.running() && !c.paused()).ifPresent(c -> {
                docker.pauseContainerCmd(c.containerId()).exec();
                LOG.info("paused {}: payment stopped", rental);
            });
            return null;
        });
    }

    @Override
    public void resume(String rental) {
        inBundle("resume the container of " + rental, () -> {
            find(rental).filter(RunningContainer::paused).ifPresent(c -> {
                docker.unpauseContainerCmd(c.containerId()).exec();
                LOG.info("resumed {}: payment caught up", rental);
            });
            return null;
        });
    }

    @Override
    public ContainerUsage usage(String rental) {
        return inBundle("measure the container of " + rental, () -> {
            Optional<RunningContainer> container = find(rental).filter(RunningContainer::running);
            if (container.isEmpty()) {
                return ContainerUsage.NONE;
            }
            Statistics stats = docker.statsCmd(container.get().containerId())
                    .withNoStream(true)
                    .exec(new InvocationBuilder.AsyncResultCallback<Statistics>())
                    .awaitResult();
            long cpuNanos = stats.getCpuStats() == null || stats.getCpuStats().getCpuUsage() == null
                    ? 0
                    : orZero(stats.getCpuStats().getCpuUsage().getTotalUsage());
            long peak = stats.getMemoryStats() == null
                    ? 0
                    : Math.max(
                            orZero(stats.getMemoryStats().getMaxUsage()),
                            orZero(stats.getMemoryStats().getUsage()));
            long in = 0;
            long out = 0;
            if (stats.getNetworks() != null) {
                for (var network : stats.getNetworks().values()) {
                    in += orZero(network.getRxBytes());
                    out += orZero(network.getTxBytes());
                }
            }
            return new ContainerUsage(cpuNanos / 1_000_000_000L, peak, in, out);
        });
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    @Override
    public void remove(String rental) {
        inBundle("remove the container of " + rental, () -> {
            for (Container c : docker.listContainersCmd()
                    .withShowAll(true)
                    .withLabelFilter(Map.of(RENTAL_LABEL, rental))
                    .exec()) {
                try {
                    docker.removeContainerCmd(c.getId())
                            .withForce(true)
                            .withRemoveVolumes(true)
                            .exec();
                    LOG.info("removed container {} of {}", c.getId().substring(0, 12), rental);
                } catch (NotFoundException gone) {
                    // Removed between listing and removing: the outcome wanted.
                }
            }
            return null;
        });
    }

    private RunningContainer inspect(String rental, String id) {
        var info = docker.inspectContainerCmd(id).exec();
        String address = info.getNetworkSettings().getNetworks().values().stream()
                .map(n -> n.getIpAddress())
                .filter(ip -> ip != null && !ip.isEmpty())
                .findFirst()
                .orElse(null);
        boolean running = Boolean.TRUE.equals(info.getState().getRunning());
        boolean paused = Boolean.TRUE.equals(info.getState().getPaused());
        return new RunningContainer(rental, id, info.getImageId(), address, 22, 80, running, paused);
    }

    /** Runs Docker calls with this bundle's class loader as context, which Jackson's lookups rely on. */
    private <T> T inBundle(String what, Supplier<T> work) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(DockerContainers.class.getClassLoader());
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw new ContainerException("cannot " + what + ": " + e.getMessage(), e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private void closeClient() {
        if (docker != null) {
            try {
                docker.close();
            } catch (IOException e) {
                LOG.warn("closing the Docker client: {}", e.getMessage());
            }
            docker = null;
        }
    }
}
