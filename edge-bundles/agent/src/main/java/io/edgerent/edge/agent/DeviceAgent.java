package io.edgerent.edge.agent;

import io.edgerent.edge.containers.RentalContainers;
import io.edgerent.edge.settings.OwnerSettings;
import io.edgerent.edge.settings.Refusals;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.tunnels.Tunnels;
import io.edgerent.link.Dtls;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.SshKeys;
import io.edgerent.protocol.Template;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.kura.configuration.ConfigurableComponent;
import org.eclipse.kura.configuration.ConfigurationService;
import org.eclipse.kura.crypto.CryptoService;
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
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The device's agent: its identity, its registration with the hub, and the governor that serves rentals. */
@Component(
        name = DeviceAgent.PID,
        immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = ConfigurableComponent.class)
@Designate(ocd = DeviceAgent.Config.class)
public class DeviceAgent implements ConfigurableComponent {
    public static final String PID = "io.edgerent.edge.agent";
    private static final Logger LOG = LoggerFactory.getLogger(DeviceAgent.class);

    @ObjectClassDefinition(
            id = PID,
            name = "edgerent agent",
            description = "How this device finds its hub and offers itself for rent.")
    public @interface Config {
        @AttributeDefinition(
                name = "Hub address",
                description = "The hub's address, coaps://HOST:PORT (CoAP over DTLS;"
                        + " plain coap:// only for a hub on this machine). Several hubs serving one fleet may be listed, separated by"
                        + " commas: the device talks to the first, and to the next when one does not answer.")
        String hub_uri() default "coap://127.0.0.1:5683";

        @AttributeDefinition(
                name = "Registration token",
                description = "The one-time token from `edgerent token`;" + " used once, at the first registration.",
                type = AttributeType.PASSWORD,
                required = false)
        String registration_token() default "";

        @AttributeDefinition(
                name = "Hub key",
                description = "The hub's key as OpenSSH writes it (ecdsa-sha2-nistp256"
                        + " AAAA...), put here by `edgerent provision`: its SSH host key and its DTLS key. When set, the device talks only"
                        + " to a hub that shows this key. Empty: the key the hub shows at registration is trusted from then on."
                        + OwnerSettings.TEXT_AREA,
                required = false)
        String hub_key() default "";

        @AttributeDefinition(name = "Data directory", description = "Where the device keeps its key and its state.")
        String data_dir() default "/var/lib/edgerent/device";

        @AttributeDefinition(
                name = "Heartbeat (seconds)",
                description = "How often the device tells the hub it is"
                        + " alive; the hub lists a device that missed 90 s of heartbeats as offline.",
                min = "1",
                max = "60")
        int heartbeat_seconds() default 30;

        @AttributeDefinition(
                name = "Price per hour",
                description = "What a renter pays for one hour of this device, in"
                        + " the smallest currency unit; billed by the second.",
                min = "0",
                max = "1000000000000")
        long price_per_hour() default 0;

        @AttributeDefinition(
                name = "Price per GB sent",
                description = "What a renter pays per GB (10^9 bytes) their"
                        + " container sends out, in the smallest currency unit; 0 for none.",
                min = "0",
                max = "1000000000000")
        long price_per_gb() default 0;

        @AttributeDefinition(
                name = "Usage report (seconds)",
                description = "How often the device reports a rental's"
                        + " usage (online time, CPU, memory, traffic) to the hub.",
                min = "5",
                max = "3600")
        int usage_seconds() default 60;

        @AttributeDefinition(
                name = "Offer for rent",
                description =
                        "Whether the marketplace lists this device for new"
                                + " rentals. Switching it off takes the device off the market at once; a running rental goes on.")
        boolean listed() default true;

        @AttributeDefinition(
                name = "Available hours",
                description = "When the device is offered for new rentals, in this"
                        + " device's time zone: always, or windows such as 08:00-18:00 or 22:00-07:00,12:00-13:00. A rental that is"
                        + " running when a window closes goes on.")
        String available_hours() default "always";

        @AttributeDefinition(
                name = "App templates",
                description =
                        "What renters may pick at rent time, comma-separated:"
                                + " base (an SSH box), web (also a static web server for /data/www), files (also a file host with upload,"
                                + " download, share links and a quota of the rental's storage; its downloads are billed at the price per GB).")
        String templates() default "base,web,files";

        @AttributeDefinition(
                name = "Region",
                description = "Where the device is, as renters filter the marketplace by it:"
                        + " a city, a country or a region name such as eu-west; up to 40 letters, digits, spaces and . , ' ( ) _ -."
                        + " Empty: not said.",
                required = false)
        String region() default "";
    }

    @Reference
    private RentalContainers containers;

    @Reference
    private RentalVolumes volumes;

    @Reference
    private Tunnels tunnels;

    @Reference
    private ConfigurationAdmin configurationAdmin;

    /** Kura's configuration service, where there is one: refused settings are written back through it (OwnerSettings). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private ConfigurationService kuraConfiguration;

    /**
     * Kura's crypto service, which decrypts the Password settings Kura encrypted when the owner applied them (the
     * registration token). Optional and greedy: without one (the Felix launcher) the value is taken as it is; one
     * that appears later restarts the component, so the token it decrypts is used.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private CryptoService crypto;

    private final OwnerSettings settings = new OwnerSettings(PID);
    private HubLink hub;
    private Governor governor;
    private List<URI> hubUris;
    private Path dataDir;

    @Activate
    void activate(Config config, Map<String, Object> properties) {
        settings.activate(properties, kuraConfiguration, Config.class, this::apply);
    }

    /**
     * Prices, listing, hours, intervals and the token apply at once and reach the hub with the next
     * heartbeat, sent right away; only a new hub address or data directory starts the agent anew.
     */
    @Modified
    void modified(Config config, Map<String, Object> properties) {
        settings.modify(configurationAdmin, kuraConfiguration, properties, () -> apply(config));
    }

    /**
     * A Password setting as the owner typed it: Kura stores it encrypted and components decrypt it with its crypto
     * service (as Kura's own MQTT transport does). A value that does not decrypt (set outside Kura's form, or with no
     * crypto service, as in the Felix launcher) is taken as it is.
     */
    private String password(String stored) {
        if (stored == null || stored.isEmpty()) {
            return "";
        }
        CryptoService service = crypto;
        if (service == null) {
            return stored;
        }
        try {
            return new String(service.decryptAes(stored.toCharArray()));
        } catch (Exception notEncrypted) {
            return stored;
        }
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
    }

    private synchronized void apply(Config config) {
        Refusals refusals = new Refusals("agent");
        List<URI> uris = Dtls.hubAddresses(String.valueOf(config.hub_uri()));
        refusals.require(
                !uris.isEmpty(),
                "hub address must look like coaps://HOST:PORT (plain coap:// only to a hub on this"
                        + " machine, 127.0.0.1; several hubs of one fleet separated by commas, all coaps:// or all on this machine), got '"
                        + config.hub_uri() + "'");
        refusals.require(config.data_dir() != null && !config.data_dir().isBlank(), "the data directory is empty");
        refusals.within("heartbeat", config.heartbeat_seconds(), 1, 60, "seconds", null)
                .within("usage report", config.usage_seconds(), 5, 3600, "seconds", null)
                .within("price per hour", config.price_per_hour(), 0, Prices.MAX, "units", null)
                .within("price per GB", config.price_per_gb(), 0, Prices.MAX, "units", null);
        Availability hours = Availability.ALWAYS;
        try {
            hours = Availability.parse(config.available_hours());
        } catch (IllegalArgumentException e) {
            refusals.require(false, e.getMessage());
        }
        String hubKey = config.hub_key() == null ? "" : config.hub_key().strip();
        if (!hubKey.isEmpty()) {
            try {
                SshKeys.ecdsaP256Key(hubKey);
            } catch (MalformedMessageException e) {
                refusals.require(
                        false,
                        "hub key must be the hub's key as OpenSSH writes it (ecdsa-sha2-nistp256 AAAA..., printed"
                                + " by `edgerent hub`), got '" + config.hub_key() + "'");
            }
        }
        Set<Template> templates = Set.of(Template.BASE);
        try {
            templates = Template.parseList(String.valueOf(config.templates()));
        } catch (MalformedMessageException e) {
            refusals.require(false, "app templates: " + e.getMessage());
        }
        String region = config.region() == null ? "" : config.region().strip();
        refusals.require(Names.isRegion(region), "region: " + Names.REGION_RULE + ", got '" + region + "'");
        refusals.throwIfAny();
        Governor.Live live = new Governor.Live(
                password(config.registration_token()),
                config.heartbeat_seconds(),
                config.usage_seconds(),
                new Prices(config.price_per_hour(), config.price_per_gb()),
                config.listed(),
                hours,
                templates,
                hubKey,
                region);
        Path dir = Path.of(config.data_dir()).toAbsolutePath().normalize();
        if (governor != null && uris.equals(hubUris) && dir.equals(dataDir)) {
            governor.update(live);
            LOG.info(
                    "agent settings applied: price {} per hour, {} per GB, {}, available {}, templates {}, region '{}'",
                    live.prices().perHour(),
                    live.prices().perGb(),
                    live.listed() ? "offered for rent" : "listing off",
                    hours.text(),
                    Template.join(templates),
                    region);
            return;
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "agent settings refused: cannot create the data directory " + dir + ": " + e, e);
        }
        stop();
        hubUris = uris;
        dataDir = dir;
        // The DTLS handshake asks the governor which hub key to expect (pinned, or the one registered with).
        hub = new HubLink(
                uris,
                Ed25519.loadOrCreate(dir, "device"),
                () -> governor == null ? Optional.empty() : governor.expectedHubKey());
        governor = new Governor(new Governor.Settings(dir), live, hub, containers, volumes, tunnels);
        governor.start();
        LOG.info("agent started for hub {}", uris.size() == 1 ? uris.get(0) : uris);
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
        hubUris = null;
        dataDir = null;
    }
}
