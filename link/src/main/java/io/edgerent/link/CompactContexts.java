package io.edgerent.link;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.security.Principal;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.Connector;
import org.eclipse.californium.elements.Definition;
import org.eclipse.californium.elements.DtlsEndpointContext;
import org.eclipse.californium.elements.EndpointContext;
import org.eclipse.californium.elements.EndpointContextMatcher;
import org.eclipse.californium.elements.MessageCallback;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.RawDataChannel;
import org.eclipse.californium.elements.util.Bytes;

/**
 * A DTLS connector as the CoAP layer above it sees it, with every endpoint context it hands up made
 * compact: the peer's address, identity and virtual host, and of the DTLS state only the session,
 * epoch and cipher suite, the three a response is matched to its connection by (Californium's strict
 * matching, the default). Scandium's own contexts carry eight to eleven attributes in a hash map, about
 * 600 bytes each, and an observation keeps two of them (its request's and its last notification's)
 * for as long as the device observes: on a hub, about 1.2 KB of every device session.
 */
public final class CompactContexts implements Connector {
    private final Connector dtls;

    public CompactContexts(Connector dtls) {
        this.dtls = dtls;
    }

    /** {@code context} with only what response matching reads; any other kind of context as it is. */
    static EndpointContext compact(EndpointContext context) {
        return context instanceof DtlsEndpointContext ? new Compact(context) : context;
    }

    @Override
    public void setRawDataReceiver(RawDataChannel receiver) {
        dtls.setRawDataReceiver(raw -> receiver.receiveData(RawData.inbound(
                raw.getBytes(),
                compact(raw.getEndpointContext()),
                raw.isMulticast(),
                raw.getReceiveNanoTimestamp(),
                raw.getConnectorAddress())));
    }

    @Override
    public void send(RawData message) {
        dtls.send(RawData.outbound(
                message.getBytes(),
                message.getEndpointContext(),
                new MessageCallback() {
                    @Override
                    public void onConnecting() {
                        message.onConnecting();
                    }

                    @Override
                    public void onDtlsRetransmission(int flight) {
                        message.onDtlsRetransmission(flight);
                    }

                    @Override
                    public void onContextEstablished(EndpointContext context) {
                        message.onContextEstablished(compact(context));
                    }

                    @Override
                    public void onSent() {
                        message.onSent();
                    }

                    @Override
                    public void onError(Throwable error) {
                        message.onError(error);
                    }
                },
                message.isMulticast()));
    }

    @Override
    public void start() throws IOException {
        dtls.start();
    }

    @Override
    public void stop() {
        dtls.stop();
    }

    @Override
    public void destroy() {
        dtls.destroy();
    }

    @Override
    public void setEndpointContextMatcher(EndpointContextMatcher matcher) {
        dtls.setEndpointContextMatcher(matcher);
    }

    @Override
    public InetSocketAddress getAddress() {
        return dtls.getAddress();
    }

    @Override
    public String getProtocol() {
        return dtls.getProtocol();
    }

    @Override
    public boolean isRunning() {
        return dtls.isRunning();
    }

    @Override
    public void processDatagram(DatagramPacket datagram) {
        dtls.processDatagram(datagram);
    }

    @Override
    public String toString() {
        return dtls.toString();
    }

    /** A DTLS endpoint context reduced to its session, epoch and cipher suite (all three critical for matching). */
    static final class Compact extends AddressEndpointContext {
        private final Bytes session;
        private final Integer epoch;
        private final String cipher;

        Compact(EndpointContext full) {
            super(full.getPeerAddress(), full.getVirtualHost(), full.getPeerIdentity());
            session = full.get(DtlsEndpointContext.KEY_SESSION_ID);
            epoch = full.get(DtlsEndpointContext.KEY_EPOCH);
            cipher = full.get(DtlsEndpointContext.KEY_CIPHER);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T get(Definition<T> definition) {
            if (definition == DtlsEndpointContext.KEY_SESSION_ID) {
                return (T) session;
            } else if (definition == DtlsEndpointContext.KEY_EPOCH) {
                return (T) epoch;
            } else if (definition == DtlsEndpointContext.KEY_CIPHER) {
                return (T) cipher;
            }
            return null;
        }

        @Override
        public Map<Definition<?>, Object> entries() {
            Map<Definition<?>, Object> entries = new HashMap<>();
            for (Definition<?> key : new Definition<?>[] {
                DtlsEndpointContext.KEY_SESSION_ID, DtlsEndpointContext.KEY_EPOCH, DtlsEndpointContext.KEY_CIPHER
            }) {
                Object value = get(key);
                if (value != null) {
                    entries.put(key, value);
                }
            }
            return entries;
        }

        @Override
        public boolean hasCriticalEntries() {
            return session != null || epoch != null || cipher != null;
        }

        @Override
        public String toString() {
            Principal identity = getPeerIdentity();
            return "DTLS(" + getPeerAddressAsString() + ", " + (identity == null ? "anonymous" : identity.getName())
                    + ", epoch " + epoch + ")";
        }
    }
}
