package io.edgerent.hub.store;

import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;

/**
 * The database cannot be reached now (PostgreSQL restarting, failing over, cut off): the request was not carried
 * out, or whether it was is unknown, and may be sent again shortly. A refusal of kind {@link ErrorCode#UNAVAILABLE},
 * so the CoAP API answers 5.03 and the web pages 503, each with a hint of when to try again.
 */
public final class DatabaseUnavailable extends RefusedException {
    /** When a client may try again, in seconds: the longest the hub waits between attempts to connect again. */
    public static final int RETRY_AFTER_SECONDS = 2;

    /** {@code why} is told to the client, so it names no server; the driver's words stay in {@code cause}. */
    public DatabaseUnavailable(String why, Throwable cause) {
        super(ErrorCode.UNAVAILABLE, "the hub's database is unavailable (" + why + "); try again shortly");
        initCause(cause);
    }
}
