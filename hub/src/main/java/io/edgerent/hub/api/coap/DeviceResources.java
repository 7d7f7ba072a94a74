package io.edgerent.hub.api.coap;

import io.edgerent.hub.api.coap.Resources.Handler;
import io.edgerent.hub.api.coap.Resources.Peer;
import io.edgerent.hub.identity.HubKey;
import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.observability.LogContext;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.protocol.AssignmentVersion;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.SignedRequest;
import io.edgerent.protocol.UsageReport;
import io.edgerent.protocol.WipeRecord;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.observe.ObserveNotificationOrderer;
import org.eclipse.californium.core.observe.ObserveRelation;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code devices} and {@code devices/ID/...}: registration, and what each device reports (heartbeat, usage,
 * wipes) and reads (its assignment, observed by version), each over the device's own DTLS session.
 */
final class DeviceResources {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceResources.class);

    private final Services services;
    private final GroupCommit commits;
    private final HubKey hubKey;
    /** The SSH gateway's port, once bound: devices are told it when they register. */
    private final IntSupplier sshPort;

    private final Clock clock;
    /** The devices this hub answers, by id, as their requests are checked: their keys. */
    private final Map<String, Device> knownDevices = new ConcurrentHashMap<>();

    private final AssignmentVersionResource assignmentVersions = new AssignmentVersionResource();
    private final CoapResource devices;

    private final HubMetrics metrics;

    DeviceResources(
            Services services,
            GroupCommit commits,
            HubKey hubKey,
            IntSupplier sshPort,
            HubMetrics metrics,
            Clock clock) {
        this.services = services;
        this.metrics = metrics;
        this.commits = commits;
        this.hubKey = hubKey;
        this.sshPort = sshPort;
        this.clock = clock;
        Map<String, CoapResource> perDevice = Map.of(
                Paths.HEARTBEAT,
                        new DeviceReport(Paths.HEARTBEAT, (device, payload, peer) -> {
                            peer.mustBe(device.key, device.whose());
                            Heartbeat heartbeat = Heartbeat.decode(payload);
                            return commits.submit(() -> services.rentals()
                                    .heartbeat(device.id, heartbeat)
                                    .encode());
                        }),
                Paths.USAGE,
                        new DeviceReport(Paths.USAGE, (device, payload, peer) -> {
                            Fields body = deviceReport(device, Paths.USAGE, payload, peer);
                            UsageReport usage = UsageReport.from(body);
                            return commits.submit(() -> services.payments().recordUsage(device.id, usage))
                                    .thenApply(answer -> {
                                        if (answer.impossible() != null) {
                                            metrics.usageRefused(answer.impossible().reason);
                                        }
                                        return answer.orThrow().encode();
                                    });
                        }),
                Paths.WIPES,
                        new DeviceReport(Paths.WIPES, (device, payload, peer) -> {
                            WipeRecord wipe = WipeRecord.from(deviceSigned(device, Paths.WIPES, payload, peer));
                            return commits.submit(() -> {
                                services.wipes().recordWipe(device.id, device.key, wipe);
                                return new byte[0];
                            });
                        }),
                Paths.ASSIGNMENT, new AssignmentResource(),
                Paths.ASSIGNMENT_VERSION, assignmentVersions);
        // devices/ID of every device: one resource, whose children are one each for all devices and learn the device
        // from the path. A resource per device would cost each session kilobytes.
        CoapResource deviceNode = new CoapResource("device") {
            @Override
            public Resource getChild(String name) {
                return perDevice.get(name);
            }
        };
        deviceNode.setVisible(false);
        devices = new Handler(Paths.DEVICES) {
            @Override
            public Resource getChild(String name) {
                return device(name) != null ? deviceNode : null;
            }
        }.onPost(this::register);
        services.events().onAssignmentChanged(assignmentVersions::changed);
    }

    /** {@code devices}, with every device's resources below it. */
    CoapResource resource() {
        return devices;
    }

    private byte[] register(byte[] payload, Peer peer) {
        Registration registration = Registration.decode(payload);
        peer.mustBe(registration.publicKey(), "the device key being registered");
        RegistrationAccepted accepted = services.devices().register(registration, sshPort.getAsInt(), hubKey.openSsh());
        knownDevices.put(accepted.deviceId(), new Device(accepted.deviceId(), registration.publicKey()));
        LogContext.device(accepted.deviceId());
        LOG.info("device {} registered, tunnel port {}", accepted.deviceId(), accepted.tunnelPort());
        return accepted.encode();
    }

    /** A device of this hub: the requests it makes are checked against {@code key}, its registered key. */
    private record Device(String id, byte[] key) {
        String whose() {
            return "device " + id + "'s key";
        }
    }

    /** Device {@code id}, or null if no hub on this database registered it (one registered by another is learnt here). */
    private Device device(String id) {
        Device known = knownDevices.get(id);
        if (known == null && Names.isDeviceId(id)) {
            known = services.devices()
                    .devicePublicKey(id)
                    .map(key -> knownDevices.computeIfAbsent(id, k -> new Device(k, key)))
                    .orElse(null);
        }
        return known;
    }

    /** The device a request to {@code devices/ID/NAME} names, or null. */
    private Device deviceOf(Request request) {
        String id = deviceIdOf(request);
        return id == null ? null : device(id);
    }

    /** The ID a request to {@code devices/ID/NAME} names, or null. */
    private static String deviceIdOf(Request request) {
        List<String> path = request.getOptions().getUriPath();
        return path.size() == 3 ? path.get(1) : null;
    }

    /**
     * The body of a device's usage report: signed with the device's key ({@link #deviceSigned}: its signature must
     * verify, wherever it comes from), or, over the device's own DTLS session, its bare body. The session authenticates
     * that as it does the device's heartbeats: only the device's key opens it, and every record is authenticated
     * under it. A signature on top proved nothing more, and the hub kept none; verifying it was a third of the hub's
     * CPU under a fleet's reports (issue 33). On plain loopback CoAP nothing authenticates a report but its signature,
     * so one must be there.
     */
    private Fields deviceReport(Device device, String resource, byte[] payload, Peer peer) {
        Fields fields = Cbor.decodeMap(payload);
        if (fields.has("sig")) {
            return deviceSigned(device, resource, payload, peer);
        }
        peer.mustBe(device.key, device.whose());
        if (peer.key() == null) {
            throw new SignedRequest.SignatureException(
                    "a report over plain CoAP must be signed with the device's key (or come over its DTLS session)");
        }
        return fields;
    }

    /**
     * The body of a device's report on {@code devices/ID/RESOURCE}, signed with the device's key,
     * over the device's own session. No replay record: reports carry their own sequence or are idempotent.
     */
    private Fields deviceSigned(Device device, String resource, byte[] payload, Peer peer) {
        peer.mustBe(device.key, device.whose());
        SignedRequest request = SignedRequest.decode(payload);
        if (!Arrays.equals(request.renterKey(), device.key)) {
            throw new SignedRequest.SignatureException("the report is not signed with device " + device.id + "'s key");
        }
        return request.verify(Paths.DEVICES + "/" + device.id + "/" + resource, clock.millis());
    }

    /** {@code devices/ID/assignment}: what the device should be doing now, for its own key only. */
    private final class AssignmentResource extends CoapResource {
        AssignmentResource() {
            super(Paths.ASSIGNMENT);
            setVisible(false);
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            answerDevice(
                    exchange, device -> services.rentals().assignment(device.id).encode());
        }
    }

    /**
     * {@code devices/ID/assignment-version}, observable: one resource for all devices, each observing its own.
     * A notification carries only the version (the device then GETs its assignment), so what Californium keeps
     * per observation does not grow with the rental's keys. A change notifies only the device it is for, found
     * in a map by device id: Californium's own {@code changed(filter)} would try every device's observation, a cost
     * each rental paid once per device the hub holds (issue 33).
     */
    private final class AssignmentVersionResource extends CoapResource {
        /** The observations of each device (one, but for a moment two when it observes anew). */
        private final Map<String, List<ObserveRelation>> observations = new ConcurrentHashMap<>();
        /** The observe numbers of this resource's notifications, counted here as Californium's changed() would. */
        private final ObserveNotificationOrderer numbers = new ObserveNotificationOrderer();

        AssignmentVersionResource() {
            super(Paths.ASSIGNMENT_VERSION);
            setVisible(false);
            setObservable(true);
            setObserveType(Type.CON);
            getAttributes().setObservable();
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            answerDevice(
                    exchange,
                    device -> new AssignmentVersion(
                                    services.rentals().assignment(device.id).version())
                            .encode());
        }

        @Override
        public void addObserveRelation(ObserveRelation relation) {
            super.addObserveRelation(relation);
            String id = deviceIdOf(relation.getExchange().getRequest());
            if (id != null) {
                observations.merge(
                        id,
                        List.of(relation),
                        (had, added) ->
                                Stream.concat(had.stream(), added.stream()).toList());
            }
        }

        @Override
        public void removeObserveRelation(ObserveRelation relation) {
            super.removeObserveRelation(relation);
            String id = deviceIdOf(relation.getExchange().getRequest());
            if (id != null) {
                observations.computeIfPresent(id, (k, had) -> {
                    List<ObserveRelation> left =
                            had.stream().filter(r -> r != relation).toList();
                    return left.isEmpty() ? null : left;
                });
            }
        }

        @Override
        public int getNotificationSequenceNumber() {
            return numbers.getCurrent();
        }

        void changed(String deviceId) {
            List<ObserveRelation> relations = observations.get(deviceId);
            if (relations != null) {
                execute(() -> {
                    numbers.getNextObserveNumber();
                    relations.forEach(ObserveRelation::notifyObservers);
                });
            }
        }
    }

    /** Answers a GET of {@code devices/ID/...} with {@code answer}, to the device's own key only. */
    private void answerDevice(CoapExchange exchange, Function<Device, byte[]> answer) {
        Device device = deviceOf(exchange.advanced().getRequest());
        Resources.respond(
                exchange,
                ResponseCode.CONTENT,
                peer -> {
                    if (device == null) {
                        throw new RefusedException(ErrorCode.NOT_FOUND, "no such device");
                    }
                    peer.mustBe(device.key, device.whose());
                    return answer.apply(device);
                },
                Peer.of(exchange));
    }

    private interface DevicePost {
        CompletableFuture<byte[]> handle(Device device, byte[] payload, Peer peer);
    }

    /** A report every device posts to {@code devices/ID/NAME}; answered once its work is committed. */
    private final class DeviceReport extends CoapResource {
        private final DevicePost post;

        DeviceReport(String name, DevicePost post) {
            super(name);
            setVisible(false);
            this.post = post;
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            Device device = deviceOf(exchange.advanced().getRequest());
            CompletableFuture<byte[]> done;
            try {
                if (device == null) {
                    throw new RefusedException(ErrorCode.NOT_FOUND, "no such device");
                }
                done = post.handle(device, exchange.getRequestPayload(), Peer.of(exchange));
            } catch (RuntimeException refused) {
                done = CompletableFuture.failedFuture(refused);
            }
            Resources.respondWhenDone(exchange, done);
        }
    }
}
