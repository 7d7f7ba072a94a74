package io.edgerent.link;

import java.io.IOException;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.elements.exception.ConnectorException;

/**
 * One CoAP request and how its outcome reads, the same for every caller (the command line, a device, a hub calling
 * a linked hub): the answer's payload, a {@link Refused} error answer, or {@link NoAnswer}. Each caller turns the
 * last two into its own errors.
 */
public final class CoapCall {
    private CoapCall() {}

    /** Sends the request on a client set up for it. */
    public interface Send {
        CoapResponse send(CoapClient client) throws ConnectorException, IOException;
    }

    /** The peer answered with an error code; the message is its diagnostic text (or the code, without one). */
    public static final class Refused extends RuntimeException {
        public final int codeClass;
        public final int codeDetail;
        /** The code as CoAP names it, such as {@code 4.04}'s NOT_FOUND. */
        public final String code;

        Refused(int codeClass, int codeDetail, String code, String text) {
            super(text == null || text.isBlank() ? code : text);
            this.codeClass = codeClass;
            this.codeDetail = codeDetail;
            this.code = code;
        }
    }

    /** No answer came: within the client's timeout (no cause), or the transport failed (the cause). */
    public static final class NoAnswer extends RuntimeException {
        NoAnswer(Exception cause) {
            super(cause == null ? "no answer" : cause.getMessage(), cause);
        }

        /** Whether the request timed out, rather than failing to go out. */
        public boolean timedOut() {
            return getCause() == null;
        }
    }

    /** Sends the request and shuts the client down: the answer's payload, or {@link Refused}, or {@link NoAnswer}. */
    public static byte[] payload(CoapClient client, Send send) {
        try {
            CoapResponse response = send.send(client);
            if (response == null) {
                throw new NoAnswer(null);
            }
            if (!response.isSuccess()) {
                throw new Refused(
                        response.getCode().codeClass,
                        response.getCode().codeDetail,
                        response.getCode().text,
                        response.getResponseText());
            }
            return response.getPayload();
        } catch (ConnectorException | IOException e) {
            throw new NoAnswer(e);
        } finally {
            client.shutdown();
        }
    }
}
