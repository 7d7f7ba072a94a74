package io.edgerent.hub.api.coap;

import io.edgerent.hub.observability.HubMetrics;
import io.edgerent.hub.observability.LogContext;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.link.Dtls;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.SignedRequest;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.network.interceptors.MessageInterceptor;
import org.eclipse.californium.core.server.MessageDeliverer;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every CoAP resource of the hub answers: a handler runs, and its refusal is mapped to a CoAP code
 * with a diagnostic text, here, once.
 */
final class Resources {
    private static final Logger LOG = LoggerFactory.getLogger(Resources.class);

    private Resources() {}

    interface PostHandler {
        byte[] handle(byte[] payload, Peer peer);
    }

    interface GetHandler {
        byte[] handle(Peer peer);
    }

    /**
     * Who sent a request: the raw public key its DTLS session authenticated, or none on plain
     * loopback CoAP, where the hub machine's own tools and development run.
     */
    record Peer(PublicKey key) {
        static Peer of(CoapExchange exchange) {
            return new Peer(Dtls.peerKey(
                    exchange.advanced().getRequest().getSourceContext().getPeerIdentity()));
        }

        /** Refuses the request unless its DTLS key is {@code rawEd25519} (plain loopback passes: signatures decide there). */
        void mustBe(byte[] rawEd25519, String whose) {
            if (key != null && !(key.getAlgorithm().startsWith("Ed") && Arrays.equals(Ed25519.raw(key), rawEd25519))) {
                throw new RefusedException(
                        ErrorCode.FORBIDDEN, "this DTLS session is authenticated with another key than " + whose);
            }
        }
    }

    /**
     * Hands every request to its resource inside a {@link LogContext} scope: the device of {@code devices/ID/...} is
     * named here, the resources name what they learn (a rental, a registered device), and all of it is forgotten once
     * the resource returns, before the thread serves another device.
     */
    record LogScoped(MessageDeliverer resources) implements MessageDeliverer {
        @Override
        public void deliverRequest(Exchange exchange) {
            try (LogContext.Scope scope = LogContext.open()) {
                List<String> path = exchange.getRequest().getOptions().getUriPath();
                if (path.size() == 3 && path.get(0).equals(Paths.DEVICES)) {
                    LogContext.device(path.get(1));
                }
                resources.deliverRequest(exchange);
            }
        }

        @Override
        public void deliverResponse(Exchange exchange, Response response) {
            resources.deliverResponse(exchange, response);
        }
    }

    /** A resource whose GET and POST run a handler and map its failures to CoAP codes. */
    static class Handler extends CoapResource {
        private PostHandler post;
        private GetHandler get;

        Handler(String name) {
            super(name);
        }

        Handler onPost(PostHandler post) {
            this.post = post;
            return this;
        }

        Handler onGet(GetHandler get) {
            this.get = get;
            return this;
        }

        @Override
        public void handlePOST(CoapExchange exchange) {
            if (post == null) {
                super.handlePOST(exchange);
                return;
            }
            Peer peer = Peer.of(exchange);
            respond(exchange, ResponseCode.CHANGED, p -> post.handle(exchange.getRequestPayload(), p), peer);
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            if (get == null) {
                super.handleGET(exchange);
                return;
            }
            respond(exchange, ResponseCode.CONTENT, get, Peer.of(exchange));
        }
    }

    static void respond(CoapExchange exchange, ResponseCode success, GetHandler work, Peer peer) {
        try {
            answer(exchange, success, work, peer);
        } finally {
            timed(exchange.advanced());
        }
    }

    /**
     * Counts the answer's latency with the metrics among its endpoint's interceptors: every resource
     * answers through here, and the interceptor, which sees both messages, cannot tell which answer is whose.
     */
    private static void timed(Exchange exchange) {
        Endpoint endpoint = exchange.getEndpoint();
        if (endpoint != null) {
            for (MessageInterceptor i : endpoint.getInterceptors()) {
                if (i instanceof HubMetrics.Coap metrics) {
                    metrics.answered(exchange);
                }
            }
        }
    }

    private static void answer(CoapExchange exchange, ResponseCode success, GetHandler work, Peer peer) {
        try {
            exchange.respond(success, work.handle(peer), MediaTypeRegistry.APPLICATION_CBOR);
        } catch (MalformedMessageException e) {
            exchange.respond(ResponseCode.BAD_REQUEST, e.getMessage(), MediaTypeRegistry.TEXT_PLAIN);
        } catch (SignedRequest.SignatureException e) {
            exchange.respond(ResponseCode.UNAUTHORIZED, e.getMessage(), MediaTypeRegistry.TEXT_PLAIN);
        } catch (RefusedException e) {
            ResponseCode code = ResponseCode.valueOf(e.code().codeClass << 5 | e.code().codeDetail);
            if (e instanceof DatabaseUnavailable) {
                exchange.setMaxAge(DatabaseUnavailable.RETRY_AFTER_SECONDS); // 5.03's Max-Age: when to try again
            }
            exchange.respond(code, e.getMessage(), MediaTypeRegistry.TEXT_PLAIN);
        } catch (RuntimeException e) {
            LOG.error("request to {} failed", exchange.advanced().getRequest().getURI(), e);
            exchange.respond(
                    ResponseCode.INTERNAL_SERVER_ERROR, "the hub failed; see its log", MediaTypeRegistry.TEXT_PLAIN);
        }
    }

    /**
     * Answers once {@code done} completes: with its payload, or with the error its failure maps to, logged with the
     * request's context although another thread (the database's writer) completes it.
     */
    static void respondWhenDone(CoapExchange exchange, CompletableFuture<byte[]> done) {
        Map<String, String> context = LogContext.current();
        done.whenComplete((payload, failure) -> answerWithin(context, exchange, payload, failure));
    }

    private static void answerWithin(
            Map<String, String> context, CoapExchange exchange, byte[] payload, Throwable failure) {
        try (LogContext.Scope scope = LogContext.open(context)) {
            respond(
                    exchange,
                    ResponseCode.CHANGED,
                    peer -> {
                        if (failure != null) {
                            throw failure instanceof CompletionException
                                            && failure.getCause() instanceof RuntimeException cause
                                    ? cause
                                    : failure instanceof RuntimeException runtime
                                            ? runtime
                                            : new IllegalStateException(failure);
                        }
                        return payload;
                    },
                    null);
        }
    }
}
