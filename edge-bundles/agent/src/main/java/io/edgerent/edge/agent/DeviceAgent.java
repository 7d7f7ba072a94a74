package io.edgerent.edge.agent;

import io.edgerent.edge.containers.RentalContainers;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.tunnels.Tunnels;
import io.edgerent.protocol.Prices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.eclipse.kura.configuration.ConfigurableComponent;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The device's agent: its identity, its registration with the hub, and the governor that serves rentals. */
@Component(name = DeviceAgent.PID, immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE, service = ConfigurableComponent.class)
@Designate(ocd = DeviceAgent.Config.class)
public class DeviceAgent implements ConfigurableComponent {
    public static final String PID = "io.edgerent.edge.agent";
    private static final Logger LOG = LoggerFactory.getLogger(DeviceAgent.class);

    @ObjectClassDefinition(id = PID, name = "edgerent agent",
            description = "How this device finds its hub and offers itself for rent.")
    public @interface Config {
        @AttributeDefinition(name = "Hub address", description = "The hub's CoAP address, coap://HOST:PORT.")
        String hub_uri() default "coap://127.0.0.1:5683";

        @AttributeDefinition(name = "Registration token", description = "The one-time token from `edgerent token`;"
                + " used once, at the first registration.", type = AttributeType.PASSWORD, required = false)
        String registration_token() default "";

        @AttributeDefinition(name = "Data directory", description = "Where the device keeps its key and its state.")
        String data_dir() default "/var/lib/edgerent/device";

        @AttributeDefinition(name = "Heartbeat (seconds)", description = "How often the device tells the hub it is"
                + " alive; the hub lists a device that missed 90 s of heartbeats as offline.", min = "1", max = "60")
        int heartbeat_seconds() default 30;

        @AttributeDefinition(name = "Price per hour", description = "What a renter pays for one hour of this device, in"
                + " the smallest currency unit; billed by the second.", min = "0", max = "1000000000000")
        long price_per_hour() default 0;

        @AttributeDefinition(name = "Price per GB sent", description = "What a renter pays per GB (10^9 bytes) their"
                + " container sends out, in the smallest currency unit; 0 for none.", min = "0", max = "1000000000000")
        long price_per_gb() default 0;

        @AttributeDefinition(name = "Usage report (seconds)", description = "How often the device reports a rental's"
                + " usage (online time, CPU, memory, traffic) to the hub.", min = "5", max = "3600")
        int usage_seconds() default 60;
    }

    @Reference
    private RentalContainers containers;

    @Reference
    private RentalVolumes volumes;

    @Reference
    private Tunnels tunnels;

    private HubLink hub;
    private Governor governor;

    @Activate
    void activate(Config config, Map<String, Object> properties) {
        start(config, properties);
    }

    /** Every agent setting changes who the device talks to or how, so a change restarts the governor. */
    @Modified
    void modified(Config config, Map<String, Object> properties) {
        stop();
        start(config, properties);
    }

    @Deactivate
    void deactivate() {
        stop();
    }

    private void start(Config config, Map<String, Object> properties) {
        if (config.hub_uri() == null || config.data_dir() == null) {
            throw new IllegalArgumentException("the agent settings lack the hub address or data directory: " + properties);
        }
        URI hubUri = URI.create(config.hub_uri().strip());
        if (!"coap".equals(hubUri.getScheme()) || hubUri.getHost() == null) {
            throw new IllegalArgumentException("hub address must look like coap://HOST:PORT, got " + config.hub_uri());
        }
        Path dataDir = Path.of(config.data_dir());
        try {
            Files.createDirectories(dataDir);
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
        }
        hub = new HubLink(hubUri);
        governor = new Governor(new Governor.Settings(dataDir, hubUri.getHost(), config.registration_token(),
                config.heartbeat_seconds(), new Prices(config.price_per_hour(), config.price_per_gb()), config.usage_seconds()),
                hub, containers, volumes, tunnels);
        governor.start();
        LOG.info("agent started for hub {}", hubUri);
    }

    private void stop() {
        if (governor != null) {
            governor.close();
            governor = null;
        }
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }
}
