package io.edgerent.hub.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.edgerent.hub.Hub;
import io.edgerent.hub.HubMain;
import io.edgerent.hub.identity.AdminSecret;
import io.edgerent.hub.testing.FreePorts;
import io.edgerent.link.Dtls;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Heartbeat;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.Prices;
import io.edgerent.protocol.Registration;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.Template;
import io.edgerent.protocol.TokenRequest;
import io.edgerent.protocol.WalletMove;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The hub's log as logback.xml configures it: JSON lines in the Elastic Common Schema, read back with a strict JSON
 * parser, naming the device a request is about; and the text format, one readable line per event.
 */
class JsonLogTest {
    private static final Logger LOG = LoggerFactory.getLogger("io.edgerent.hub.Example");

    @TempDir
    Path dir;

    @Test
    void a_line_is_one_json_object_with_the_ecs_field_names() throws Exception {
        try (CapturedLog log = new CapturedLog("json")) {
            LOG.warn("device {} said \"hello\"\nand more", "d-000000000001");
            JsonObject line = only(log.objects());
            assertTrue(
                    Instant.parse(line.get("@timestamp").getAsString())
                            .isAfter(Instant.now().minusSeconds(60)),
                    line.toString());
            assertEquals("WARN", line.get("log.level").getAsString());
            assertEquals(
                    "device d-000000000001 said \"hello\"\nand more",
                    line.get("message").getAsString());
            assertEquals("io.edgerent.hub.Example", line.get("log.logger").getAsString());
            assertEquals(
                    Thread.currentThread().getName(),
                    line.get("process.thread.name").getAsString());
            assertEquals("edgerent-hub", line.get("service.name").getAsString());
            assertTrue(line.has("ecs.version"), line.toString());
        }
    }

    @Test
    void an_error_carries_its_type_message_and_stack_trace() throws Exception {
        try (CapturedLog log = new CapturedLog("json")) {
            LOG.error("storing failed", new IllegalStateException("disk full"));
            JsonObject line = only(log.objects());
            assertEquals("ERROR", line.get("log.level").getAsString());
            assertEquals(
                    "java.lang.IllegalStateException", line.get("error.type").getAsString());
            assertEquals("disk full", line.get("error.message").getAsString());
            String trace = line.get("error.stack_trace").getAsString();
            assertTrue(trace.startsWith("java.lang.IllegalStateException: disk full\n\tat "), trace);
            assertTrue(trace.contains(JsonLogTest.class.getName()), trace);
        }
    }

    @Test
    void the_context_of_a_scope_is_in_the_line_and_gone_after_it() throws Exception {
        try (CapturedLog log = new CapturedLog("json")) {
            try (LogContext.Scope scope = LogContext.open()) {
                LogContext.device("d-00000000000a");
                LogContext.rental("r-00000000000b");
                LogContext.rental("not a rental name\n");
                LOG.info("inside");
            }
            LOG.info("after");
            List<JsonObject> lines = log.objects();
            assertEquals(
                    "d-00000000000a", lines.get(0).get(LogContext.DEVICE_ID).getAsString());
            assertEquals(
                    "r-00000000000b", lines.get(0).get(LogContext.RENTAL_NAME).getAsString());
            assertFalse(
                    lines.get(1).has(LogContext.DEVICE_ID) || lines.get(1).has(LogContext.RENTAL_NAME),
                    lines.get(1).toString());
            assertTrue(
                    MDC.getCopyOfContextMap() == null
                            || MDC.getCopyOfContextMap().isEmpty(),
                    "left behind: " + MDC.getCopyOfContextMap());
        }
    }

    @Test
    void the_text_format_stays_one_readable_line_per_event() throws Exception {
        try (CapturedLog log = new CapturedLog("text")) {
            LOG.info("device {} registered", "d-000000000001");
            String line = only(log.lines());
            assertTrue(
                    line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4} \\[\\S+] INFO"
                            + " io\\.edgerent\\.hub\\.Example - device d-000000000001 registered"),
                    line);
        }
    }

    /**
     * A device registers and heartbeats over CoAP: the lines the hub writes for them name the device, the heartbeat's
     * from the database's writer thread too, and the operator's deposit after them names none.
     */
    @Test
    void lines_written_for_a_device_request_name_the_device_and_the_next_request_does_not() throws Exception {
        try (CapturedLog log = new CapturedLog("json");
                Hub hub = Hub.start(FreePorts.hub(dir).build())) {
            CoapEndpoint endpoint = new CoapEndpoint.Builder()
                    .setConfiguration(Dtls.plainConfiguration())
                    .build();
            String deviceId;
            try {
                String admin = AdminSecret.loadOrCreate(dir);
                String token = Cbor.decodeMap(
                                post(hub, endpoint, Paths.TOKENS, new TokenRequest(admin, "olga").encode()))
                        .text("token");
                RegistrationAccepted device = RegistrationAccepted.decode(post(
                        hub,
                        endpoint,
                        Paths.DEVICES,
                        new Registration(
                                        token,
                                        Ed25519.raw(Ed25519.generate().getPublic()),
                                        new HardwareFacts(4, "Cortex-A72", 1L << 30, 1L << 33, "aarch64", "pi4", 100))
                                .encode()));
                deviceId = device.deviceId();
                // A home proof that names no hub: the hub drops it and says so, while the database's writer runs it.
                post(
                        hub,
                        endpoint,
                        Paths.DEVICES + "/" + device.deviceId() + "/" + Paths.HEARTBEAT,
                        new Heartbeat(
                                        DeviceState.LISTED,
                                        null,
                                        new Prices(3600, 1),
                                        true,
                                        EnumSet.of(Template.BASE),
                                        "",
                                        new byte[64])
                                .encode());
                post(
                        hub,
                        endpoint,
                        Paths.WALLET + "/" + Paths.MOVE,
                        new WalletMove(admin, WalletMove.DEPOSIT, "owner:olga", 100, "bank-1").encode());
            } finally {
                endpoint.destroy();
            }
            List<JsonObject> lines = log.objects();
            JsonObject registered = line(lines, "device " + deviceId + " registered");
            assertEquals(deviceId, registered.get(LogContext.DEVICE_ID).getAsString(), registered.toString());
            JsonObject dropped = line(lines, "device " + deviceId + " sent a home proof");
            assertEquals(deviceId, dropped.get(LogContext.DEVICE_ID).getAsString(), dropped.toString());
            assertEquals("group-commit", dropped.get("process.thread.name").getAsString());
            JsonObject deposit = line(lines, "deposit of 100 for owner:olga");
            assertFalse(deposit.has(LogContext.DEVICE_ID) || deposit.has(LogContext.RENTAL_NAME), deposit.toString());
        }
    }

    /** The hub's command line with {@code --log-format json}, as a process of its own: its log is JSON from the first line. */
    @Test
    void the_log_format_option_makes_the_hub_process_log_json() throws Exception {
        Path err = dir.resolve("stderr");
        Process hub = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        HubMain.class.getName(),
                        "--log-format",
                        "json",
                        "--data",
                        dir.resolve("hub").toString(),
                        "--coap-port=0",
                        "--coaps-port=0",
                        "--ssh-port=0",
                        "--http-port=0",
                        "--https-port=0",
                        "--metrics=127.0.0.1:0")
                .redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Files.readString(err).lines().count() < 3 && hub.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            hub.destroy();
            hub.waitFor(20, TimeUnit.SECONDS);
        }
        List<String> lines = Files.readString(err).lines().toList();
        assertTrue(lines.size() >= 3, "the hub's first log lines: " + lines);
        for (String line : lines.subList(0, 3)) {
            JsonObject object = CapturedLog.object(line);
            assertEquals("edgerent-hub", object.get("service.name").getAsString(), line);
            assertTrue(object.has("@timestamp") && object.has("log.level") && object.has("message"), line);
        }
    }

    private static byte[] post(Hub hub, CoapEndpoint endpoint, String path, byte[] payload) throws Exception {
        CoapClient client = new CoapClient("coap://127.0.0.1:" + hub.coapPort() + "/" + path);
        try {
            client.setEndpoint(endpoint);
            CoapResponse r = client.post(payload, MediaTypeRegistry.APPLICATION_CBOR);
            assertTrue(r != null && r.isSuccess(), path + ": " + (r == null ? "no answer" : r.getResponseText()));
            return r.getPayload();
        } finally {
            client.shutdown();
        }
    }

    private static JsonObject line(List<JsonObject> lines, String containing) {
        Optional<JsonObject> found = lines.stream()
                .filter(l -> l.get("message").getAsString().contains(containing))
                .findFirst();
        return found.orElseThrow(() -> new AssertionError("no line with \"" + containing + "\" in " + lines));
    }

    private static <T> T only(List<T> lines) {
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0);
    }
}
