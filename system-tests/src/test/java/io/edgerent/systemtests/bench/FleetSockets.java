package io.edgerent.systemtests.bench;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;

/**
 * The simulated fleet's UDP: every device its own socket on its own loopback address, all read by a few shared
 * threads. Californium's {@link DTLSConnector} reads its socket with a thread of its own (a blocking receive) and,
 * unless given an executor, starts a timer and a worker thread too: three threads a device, so 30,000 at 10,000
 * devices, about the most one machine holds (a thread stack is two kernel mappings, and Linux's default
 * {@code vm.max_map_count} is 65,530). Here a connector has no thread: it is configured with no receiver
 * ({@code DTLS_RECEIVER_THREAD_COUNT} 0), given the fleet's executor, and its socket is a non-blocking channel
 * registered with one of a few selectors, whose threads hand each datagram to the connector as its own receiver
 * would ({@link DTLSConnector#processDatagram(DatagramPacket)}); it sends through the same channel.
 */
final class FleetSockets implements AutoCloseable {
    /** The largest datagram taken: a DTLS record fits in 16 KiB and its headers. */
    private static final int DATAGRAM_BYTES = 1 << 15;

    private final Loop[] loops;
    private final AtomicInteger next = new AtomicInteger();
    /** Datagrams a device could not send (its socket's send buffer full): lost, as on a network. */
    static final AtomicLong DROPPED = new AtomicLong();

    FleetSockets(int threads) throws IOException {
        loops = new Loop[threads];
        for (int i = 0; i < threads; i++) {
            loops[i] = new Loop(Selector.open());
            Thread t = new Thread(loops[i], "fleet-sockets-" + i);
            t.setDaemon(true);
            t.start();
        }
    }

    /** A DTLS connector on {@code config}'s address, read by this fleet's threads once started. */
    DTLSConnector connector(DtlsConnectorConfig config) {
        return new Connector(config, loops[Math.floorMod(next.getAndIncrement(), loops.length)]);
    }

    /**
     * The address of the {@code index}-th simulated device: 127.A.B.C with C from 1 to 250 (no .0, no .255), so each
     * device has its own, as devices on the internet do, and 100,000 of them need no more than one port each (the
     * kernel's ephemeral range holds 28,232 ports per address). Linux routes all of 127.0.0.0/8 to the loopback.
     */
    static InetSocketAddress address(int index) {
        int network = index / 250;
        return new InetSocketAddress(
                String.format(Locale.ROOT, "127.%d.%d.%d", 1 + network / 256, network % 256, 1 + index % 250), 0);
    }

    @Override
    public void close() throws IOException {
        for (Loop loop : loops) {
            loop.selector.close();
        }
    }

    private static final class Connector extends DTLSConnector {
        private final Loop loop;
        private volatile DatagramChannel channel;

        Connector(DtlsConnectorConfig config, Loop loop) {
            super(config);
            this.loop = loop;
        }

        @Override
        protected void start(InetSocketAddress bindAddress) throws IOException {
            if (isRunning()) {
                return;
            }
            DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
            try {
                c.bind(bindAddress);
                c.configureBlocking(false);
                channel = c;
                // The channel's socket: DTLSConnector reads its address and buffer sizes, and closes it on stop.
                init(bindAddress, c.socket(), null);
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
            loop.add(c, this);
        }

        @Override
        protected void sendNextDatagramOverNetwork(DatagramPacket datagram) throws IOException {
            DatagramChannel c = channel;
            if (c == null || !c.isOpen()) {
                throw new IOException("Socket closed.");
            }
            // Non-blocking: a full send buffer drops the datagram, as a network would; DTLS and CoAP retransmit.
            if (c.send(
                            ByteBuffer.wrap(datagram.getData(), datagram.getOffset(), datagram.getLength()),
                            datagram.getSocketAddress())
                    == 0) {
                DROPPED.incrementAndGet();
            }
        }
    }

    /** One selector and its thread: reads every datagram of its channels and hands it to the channel's connector. */
    private static final class Loop implements Runnable {
        private record Registration(DatagramChannel channel, DTLSConnector connector) {}

        final Selector selector;
        private final ConcurrentLinkedQueue<Registration> added = new ConcurrentLinkedQueue<>();

        Loop(Selector selector) {
            this.selector = selector;
        }

        /** Registers {@code channel} from the selector's own thread (a register would wait for its select). */
        void add(DatagramChannel channel, DTLSConnector connector) {
            added.add(new Registration(channel, connector));
            selector.wakeup();
        }

        @Override
        public void run() {
            ByteBuffer buffer = ByteBuffer.allocate(DATAGRAM_BYTES);
            try {
                while (selector.isOpen()) {
                    selector.select();
                    for (Registration r; (r = added.poll()) != null; ) {
                        try {
                            r.channel().register(selector, SelectionKey.OP_READ, r.connector());
                        } catch (ClosedChannelException stoppedMeanwhile) {
                            // the device was destroyed before its first datagram: nothing to read
                        }
                    }
                    for (SelectionKey key : selector.selectedKeys()) {
                        read(key, buffer);
                    }
                    selector.selectedKeys().clear();
                }
            } catch (java.nio.channels.ClosedSelectorException closed) {
                // the fleet was closed
            } catch (IOException | Error e) {
                // A dead selector would leave its share of the fleet deaf, read as a slow server: end the run instead.
                e.printStackTrace();
                System.exit(2);
            }
        }

        private static void read(SelectionKey key, ByteBuffer buffer) {
            DatagramChannel channel = (DatagramChannel) key.channel();
            DTLSConnector connector = (DTLSConnector) key.attachment();
            try {
                // A few at a time, so one busy device cannot hold the others' datagrams back.
                for (int k = 0; k < 8; k++) {
                    buffer.clear();
                    InetSocketAddress from = (InetSocketAddress) channel.receive(buffer);
                    if (from == null) {
                        return;
                    }
                    // Decoded before processDatagram returns (Californium's own receiver reuses its buffer alike).
                    connector.processDatagram(new DatagramPacket(buffer.array(), buffer.position(), from));
                }
            } catch (IOException closed) {
                key.cancel();
            } catch (RuntimeException e) {
                // As Californium's own receiver does: the datagram is lost, the device reads on.
                e.printStackTrace();
            }
        }
    }
}
