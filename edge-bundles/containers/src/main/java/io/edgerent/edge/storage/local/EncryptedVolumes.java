package io.edgerent.edge.storage.local;

import io.edgerent.edge.hostos.Host;
import io.edgerent.edge.settings.OwnerSettings;
import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.configuration.ConfigurationService;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage component: the owner's storage settings (Kura's form) and the rentals' volumes, made by this
 * process ({@link LocalVolumes}) when it runs as root, else by the storage helper ({@link HelperVolumes}),
 * as under Kura, whose kurad may not mount.
 */
@Component(
        name = EncryptedVolumes.PID,
        immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {RentalVolumes.class, ConfigurableComponent.class})
@Designate(ocd = EncryptedVolumes.Config.class)
public class EncryptedVolumes implements RentalVolumes, ConfigurableComponent {
    public static final String PID = "io.edgerent.edge.storage";
    private static final Logger LOG = LoggerFactory.getLogger(EncryptedVolumes.class);

    @ObjectClassDefinition(
            id = PID,
            name = "edgerent storage",
            description =
                    "How renters' /data is stored: encrypted per rental, erased by destroying its key when the rental ends.")
    public @interface Config {
        @AttributeDefinition(
                name = "Encryption",
                description = "auto picks LUKS2 where the kernel has dm-crypt (Raspberry"
                        + " Pi OS) and ext4 encryption (fscrypt) elsewhere.",
                options = {
                    @Option(label = "auto", value = "auto"),
                    @Option(label = "LUKS2 (dm-crypt)", value = "luks2"),
                    @Option(label = "fscrypt (ext4)", value = "fscrypt")
                })
        String backend() default "auto";

        @AttributeDefinition(
                name = "Volume directory",
                description = "Where the rentals' encrypted volume images are kept;"
                        + " needs room for the storage limit of one rental.")
        String base_path() default "/var/lib/edgerent/volumes";

        @AttributeDefinition(
                name = "Space kept for the device (MiB)",
                description = "Free space a rental's volume must leave on the volume directory's disk, for this"
                        + " device's own state, logs and updates. A rental that would leave less does not start.",
                min = "64",
                max = "1048576")
        int reserve_mib() default 512;

        @AttributeDefinition(
                name = "Storage helper",
                description = "Where the edgerent storage helper listens (a Unix socket). Used when this device does"
                        + " not run as root, as under Kura (user kurad): the helper, a small root service, then makes,"
                        + " mounts and erases the volumes, in its own volume directory.")
        String helper_socket() default "/run/edgerent/storage.sock";
    }

    @Reference
    private ConfigurationAdmin configurationAdmin;

    /** Kura's configuration service, where there is one: refused settings are written back through it (OwnerSettings). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private ConfigurationService kuraConfiguration;

    private final OwnerSettings settings = new OwnerSettings(PID);
    /** The volumes this device makes itself, as root; kept across settings, which it checks against its volumes. */
    private final LocalVolumes local = new LocalVolumes();
    /** {@link #local}, or the storage helper when this process is not root. */
    private volatile RentalVolumes volumes = local;

    @Activate
    void activate(Config config, Map<String, Object> properties) {
        settings.activate(
                properties,
                kuraConfiguration,
                Config.class,
                c -> configure(c.backend(), c.base_path(), c.reserve_mib(), c.helper_socket()));
    }

    @Modified
    void modified(Config config, Map<String, Object> properties) {
        settings.modify(
                configurationAdmin,
                kuraConfiguration,
                properties,
                () -> configure(config.backend(), config.base_path(), config.reserve_mib(), config.helper_socket()));
    }

    private synchronized void configure(String backendName, String basePath, int reserveMib, String helperSocket) {
        if (!Host.isRoot()) {
            if (helperSocket == null || helperSocket.isBlank()) {
                throw new IllegalArgumentException(
                        "storage settings refused: this device does not run as root, so it needs the storage helper,"
                                + " and its socket is not set");
            }
            HelperVolumes through = new HelperVolumes(
                    Path.of(helperSocket.strip()), backendName == null ? "auto" : backendName.strip(), reserveMib);
            try {
                Path helperBase = through.configure();
                LOG.info(
                        "rental volumes: {} through the storage helper at {} (not root), under its directory {}{}",
                        through.method(),
                        helperSocket,
                        helperBase,
                        helperBase.equals(Path.of(basePath.strip()))
                                ? ""
                                : " (the volume directory setting is not used)");
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("storage settings refused: " + e.getMessage(), e);
            } catch (java.io.UncheckedIOException e) {
                // Not up yet (it may start after the device): the settings go with the first request.
                LOG.warn("{}; rentals wait for it", e.getMessage());
            }
            volumes = through;
            return;
        }
        local.configure(backendName, basePath, reserveMib);
        volumes = local;
    }

    @Override
    public String method() {
        return volumes.method();
    }

    @Override
    public Volume open(String rental, long sizeBytes) {
        return volumes.open(rental, sizeBytes);
    }

    @Override
    public void unpack(String imageId, Export export) {
        volumes.unpack(imageId, export);
    }

    @Override
    public Root root(String rental, String imageId) {
        return volumes.root(rental, imageId);
    }

    @Override
    public Optional<Volume> find(String rental) {
        return volumes.find(rental);
    }

    @Override
    public Erasure erase(String rental) {
        return volumes.erase(rental);
    }
}
