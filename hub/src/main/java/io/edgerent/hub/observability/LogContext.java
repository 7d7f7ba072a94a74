package io.edgerent.hub.observability;

import io.edgerent.protocol.Names;
import java.util.Map;
import org.slf4j.MDC;

/**
 * What a log line is about: the device and the rental of the request being handled, in the MDC, so an operator
 * finds every line of one device or one rental. The adapters name them where they learn them, inside a
 * {@link #open() scope} around each request, which forgets them when the request is done: their threads are pooled,
 * and the next request may be another device's. In the JSON log (ECS) they are {@value #DEVICE_ID}, the schema's
 * own field, and {@value #RENTAL_NAME}, ours (the schema has no rentals).
 */
public final class LogContext {
    public static final String DEVICE_ID = "device.id";
    public static final String RENTAL_NAME = "rental.name";

    private LogContext() {}

    /** A request's scope on one thread; closing it takes nothing that can fail. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** A scope on this thread: what is named inside is forgotten when it closes, and the context before it returns. */
    public static Scope open() {
        Map<String, String> before = MDC.getCopyOfContextMap();
        return () -> set(before);
    }

    /** A scope on this thread that starts with {@code context}, taken by {@link #current()} on another thread. */
    public static Scope open(Map<String, String> context) {
        Scope scope = open();
        set(context);
        return scope;
    }

    /** This thread's context, for work that goes on on another thread ({@link #open(Map)}). */
    public static Map<String, String> current() {
        Map<String, String> context = MDC.getCopyOfContextMap();
        return context == null ? Map.of() : context;
    }

    /** Names the device the request is about; anything but a device id (it comes from the request) names nothing. */
    public static void device(String id) {
        if (Names.isDeviceId(id)) {
            MDC.put(DEVICE_ID, id);
        }
    }

    /** Names the rental the request is about; anything but a rental name names nothing. */
    public static void rental(String name) {
        if (Names.isRentalName(name)) {
            MDC.put(RENTAL_NAME, name);
        }
    }

    private static void set(Map<String, String> context) {
        if (context == null || context.isEmpty()) {
            MDC.clear();
        } else {
            MDC.setContextMap(context);
        }
    }
}
