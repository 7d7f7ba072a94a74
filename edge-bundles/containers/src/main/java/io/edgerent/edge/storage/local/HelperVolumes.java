package io.edgerent.edge.storage.local;

import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Rental volumes through the {@link StorageHelper} listening on {@code socket}: the device side, not root. */
final class HelperVolumes implements RentalVolumes {
    private final Path socket;
    private final String backend;
    private final int reserveMib;
    private volatile String method = "unknown";
    private volatile boolean configured;

    /** Requests to the helper at {@code socket}, which gets the owner's encryption and reserve before the first. */
    HelperVolumes(Path socket, String backend, int reserveMib) {
        this.socket = socket;
        this.backend = backend;
        this.reserveMib = reserveMib;
    }

    /** Gives the helper the owner's settings (again); returns the helper's volume directory. */
    Path configure() {
        List<String> reply = ask("configure " + backend + " " + reserveMib, null);
        method = StorageHelper.value(reply, "method").orElse("unknown");
        configured = true;
        return Path.of(StorageHelper.value(reply, "base").orElseThrow());
    }

    @Override
    public Volume open(String rental, long sizeBytes) {
        return volume(rental, ask("open " + rental + " " + sizeBytes, null)).orElseThrow();
    }

    @Override
    public Optional<Volume> find(String rental) {
        return volume(rental, ask("find " + rental, null));
    }

    @Override
    public void unpack(String imageId, Export export) {
        ask("unpack " + imageId, export);
    }

    @Override
    public Root root(String rental, String imageId) {
        List<String> reply = ask("root " + rental + " " + imageId, null);
        return new Root(
                Path.of(StorageHelper.value(reply, "dir").orElseThrow()), StorageHelper.values(reply, "directory"));
    }

    @Override
    public Erasure erase(String rental) {
        List<String> reply = ask("erase " + rental, null);
        return new Erasure(
                StorageHelper.value(reply, "method").orElse(method),
                StorageHelper.values(reply, "step"),
                StorageHelper.values(reply, "check"),
                StorageHelper.value(reply, "verified").orElse("false").equals("true"));
    }

    @Override
    public String method() {
        return method;
    }

    private static Optional<Volume> volume(String rental, List<String> reply) {
        return StorageHelper.value(reply, "data")
                .map(data -> new Volume(
                        rental,
                        Path.of(data),
                        StorageHelper.value(reply, "method").orElseThrow(),
                        Long.parseLong(StorageHelper.value(reply, "size").orElseThrow())));
    }

    /** One request on its own connection; with {@code export}, the image's tar when the helper asks for it. */
    private List<String> ask(String request, Export export) {
        if (request.contains("\n")) {
            throw new IllegalArgumentException("not a request: " + request);
        }
        if (!configured && !request.startsWith("configure ")) {
            configure(); // the helper was not there when the settings came, or it restarted since
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            InputStream in = Channels.newInputStream(channel);
            OutputStream out = Channels.newOutputStream(channel);
            out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String first = StorageHelper.readLine(in);
            if (first.equals("send") && export != null) {
                export.writeTo(out);
                out.flush();
                channel.shutdownOutput();
                first = StorageHelper.readLine(in);
            }
            List<String> reply = new ArrayList<>(List.of(first));
            new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().forEach(reply::add);
            if (!first.equals("ok")) {
                throw new IllegalStateException(
                        "storage helper: " + (first.startsWith("error: ") ? first.substring(7) : first));
            }
            return reply;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot reach the storage helper at " + socket + " (" + e.getMessage() + "); is"
                            + " edgerent-storage-helper.service running?",
                    e);
        }
    }
}
