package io.edgerent.hub.api.coap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.observability.LogContext;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.server.MessageDeliverer;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * Every CoAP request is handled inside a log context that names the device of {@code devices/ID/...} and is gone
 * once the resource returns or throws: the thread that handled it carries nothing to the next request. The resources
 * are stood in for by a deliverer that records what it saw (the real ones need a hub; JsonLogTest drives them).
 */
class LogScopedTest {
    private final Map<String, String> seen = new HashMap<>();

    /** Records the context, names a rental as a renter's resource would, then fails if asked to. */
    private MessageDeliverer resources(boolean fail) {
        return new MessageDeliverer() {
            @Override
            public void deliverRequest(Exchange exchange) {
                LogContext.rental("r-0000000000bb");
                seen.putAll(MDC.getCopyOfContextMap());
                if (fail) {
                    throw new IllegalStateException("the resource failed");
                }
            }

            @Override
            public void deliverResponse(Exchange exchange, Response response) {}
        };
    }

    private static Exchange request(String path) {
        Request request = Request.newPost();
        request.getOptions().setUriPath(path);
        return new Exchange(request, null, Exchange.Origin.REMOTE, Runnable::run);
    }

    private static boolean empty() {
        return MDC.getCopyOfContextMap() == null || MDC.getCopyOfContextMap().isEmpty();
    }

    @Test
    void a_device_report_is_handled_naming_its_device_and_leaves_nothing_behind() {
        new Resources.LogScoped(resources(false)).deliverRequest(request("devices/d-0000000000aa/heartbeat"));
        assertEquals(Map.of(LogContext.DEVICE_ID, "d-0000000000aa", LogContext.RENTAL_NAME, "r-0000000000bb"), seen);
        assertTrue(empty(), "left on the thread: " + MDC.getCopyOfContextMap());
    }

    @Test
    void a_resource_that_throws_leaves_nothing_behind_either() {
        assertThrows(
                IllegalStateException.class,
                () -> new Resources.LogScoped(resources(true)).deliverRequest(request("devices/d-0000000000aa/usage")));
        assertEquals("d-0000000000aa", seen.get(LogContext.DEVICE_ID));
        assertTrue(empty(), "left on the thread: " + MDC.getCopyOfContextMap());
    }

    @Test
    void a_path_that_only_looks_like_a_device_names_none() {
        new Resources.LogScoped(resources(false)).deliverRequest(request("devices/not-a-device/heartbeat"));
        assertEquals(Map.of(LogContext.RENTAL_NAME, "r-0000000000bb"), seen);
        new Resources.LogScoped(resources(false)).deliverRequest(request("listings"));
        assertTrue(empty(), "left on the thread: " + MDC.getCopyOfContextMap());
    }
}
