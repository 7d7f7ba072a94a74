package io.edgerent.edge.storage.local;

import io.edgerent.edge.storage.Erasure;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.edge.storage.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root side of rental storage, for a device that does not run as root: Kura runs as {@code kurad} with
 * ambient capabilities that do not include CAP_SYS_ADMIN, so it can neither mount nor open LUKS2 volumes.
 * This small service, run as root by its own systemd unit, listens on a Unix socket and answers one
 * request per connection from a fixed vocabulary, on the volumes under its own directory only. What a
 * request names (rental, image id, size, backend) is checked here; no path crosses the socket inward.
 *
 * <pre>
 * configure BACKEND RESERVE_MIB   ->  ok, base: DIR, method: NAME
 * open RENTAL BYTES               ->  ok, data: DIR, method: NAME, size: BYTES
 * find RENTAL                     ->  ok (and the same lines), or ok alone when there is none
 * unpack IMAGE_ID                 ->  ok when unpacked; else send, then the client's tar until it shuts its output, then ok
 * root RENTAL IMAGE_ID            ->  ok, dir: DIR, directory: NAME (one line each)
 * erase RENTAL                    ->  ok, method: NAME, step: ..., check: ..., verified: true|false
 * </pre>
 *
 * Any failure answers {@code error: WHY} and changes nothing the request did not already do.
 */
public final class StorageHelper {
    private static final Logger LOG = LoggerFactory.getLogger(StorageHelper.class);
    private static final int MAX_LINE = 256;

    private final LocalVolumes volumes;

    StorageHelper(LocalVolumes volumes) {
        this.volumes = volumes;
    }

    /**
     * Serves the volumes under {@code volumes} on the Unix socket {@code socket} until the process ends. The socket
     * is made mode 0660, in {@code group} when given (the device's, such as kurad). The command line lives in the
     * launcher ({@code edgerent-device.jar storage-helper}).
     */
    public static void serve(Path volumes, Path socket, String group) throws IOException {
        new StorageHelper(LocalVolumes.at("auto", volumes.toString())).serve(socket, group);
    }

    /** A size on the wire: decimal digits, nothing else. */
    private static long number(String word) {
        if (!word.matches("-?[0-9]{1,12}")) {
            throw new IllegalArgumentException("not a number: " + word);
        }
        return Long.parseLong(word);
    }

    void serve(Path socket, String group) throws IOException {
        Files.createDirectories(socket.toAbsolutePath().getParent());
        // Bound under another name and moved into place once its mode and group are set: whoever waits for the
        // socket finds it as it will stay, never for a moment with the default mode.
        Path binding = socket.resolveSibling(socket.getFileName() + ".binding");
        Files.deleteIfExists(binding);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(binding));
            Files.setPosixFilePermissions(binding, PosixFilePermissions.fromString("rw-rw----"));
            if (group != null) {
                GroupPrincipal principal;
                try {
                    principal = binding.getFileSystem()
                            .getUserPrincipalLookupService()
                            .lookupPrincipalByGroupName(group);
                } catch (UserPrincipalNotFoundException e) {
                    throw new IOException("there is no group named " + group, e);
                }
                Files.getFileAttributeView(binding, java.nio.file.attribute.PosixFileAttributeView.class)
                        .setGroup(principal);
            }
            Files.move(binding, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("storage helper: volumes under {}, listening on {}", volumes.base(), socket);
            while (true) {
                SocketChannel client = server.accept();
                Thread thread = new Thread(() -> answer(client), "storage-request");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    private void answer(SocketChannel client) {
        try (client;
                InputStream in = Channels.newInputStream(client);
                OutputStream out = Channels.newOutputStream(client)) {
            String request = readLine(in);
            List<String> reply;
            try {
                reply = handle(request.split(" "), in, out);
                reply.add(0, "ok");
            } catch (RuntimeException | IOException e) {
                LOG.warn("storage helper: refused '{}': {}", request, e.getMessage());
                reply = List.of("error: " + String.valueOf(e.getMessage()).replace('\n', ' '));
            }
            out.write((String.join("\n", reply) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("storage helper: a request failed: {}", e.getMessage());
        }
    }

    private List<String> handle(String[] words, InputStream in, OutputStream out) throws IOException {
        List<String> reply = new ArrayList<>();
        switch (words[0] + "/" + words.length) {
            case "configure/3" -> {
                volumes.reconfigure(words[1], (int) Math.min(number(words[2]), Integer.MAX_VALUE));
                reply.add("base: " + volumes.base());
                reply.add("method: " + volumes.method());
            }
            case "open/3" -> describe(volumes.open(words[1], number(words[2])), reply);
            case "find/2" -> volumes.find(words[1]).ifPresent(v -> describe(v, reply));
            case "unpack/2" ->
                volumes.unpack(words[1], sink -> {
                    out.write("send\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    copyWholeTar(in, sink);
                });
            case "root/3" -> {
                RentalVolumes.Root root = volumes.root(words[1], words[2]);
                reply.add("dir: " + root.dir());
                root.directories().forEach(d -> reply.add("directory: " + d));
            }
            case "erase/2" -> {
                Erasure erasure = volumes.erase(words[1]);
                reply.add("method: " + erasure.method());
                erasure.steps().forEach(s -> reply.add("step: " + s));
                erasure.checks().forEach(c -> reply.add("check: " + c));
                reply.add("verified: " + erasure.verified());
            }
            default -> throw new IllegalArgumentException("not a request: " + String.join(" ", words));
        }
        return reply;
    }

    /**
     * Copies a tar and fails unless it ends with tar's end-of-archive marker (two zero blocks): a device whose
     * export broke off closes the connection early, and a cut tar would otherwise unpack as a partial image.
     */
    static void copyWholeTar(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        byte[] tail = new byte[1024];
        long total = 0;
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            out.write(buffer, 0, n);
            if (n >= tail.length) {
                System.arraycopy(buffer, n - tail.length, tail, 0, tail.length);
            } else {
                System.arraycopy(tail, n, tail, 0, tail.length - n);
                System.arraycopy(buffer, 0, tail, tail.length - n, n);
            }
            total += n;
        }
        boolean ended = total >= tail.length;
        for (byte b : tail) {
            ended &= b == 0;
        }
        if (!ended) {
            throw new IOException("the image's files ended before tar's end-of-archive marker (" + total + " bytes)");
        }
    }

    private static void describe(Volume volume, List<String> reply) {
        reply.add("data: " + volume.dataDir());
        reply.add("method: " + volume.method());
        reply.add("size: " + volume.sizeBytes());
    }

    /** One line of at most {@link #MAX_LINE} bytes, without its newline. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0 || line.size() >= MAX_LINE) {
                throw new IOException(b < 0 ? "the line ended early" : "a line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** The reply's values under {@code key}, in order. */
    static List<String> values(List<String> reply, String key) {
        return reply.stream()
                .filter(l -> l.startsWith(key + ": "))
                .map(l -> l.substring(key.length() + 2))
                .toList();
    }

    static Optional<String> value(List<String> reply, String key) {
        return values(reply, key).stream().findFirst();
    }
}
