package io.edgerent.hub.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from Debian's packages (installed by scripts/prereqs.sh), started for a
 * test in a directory of its own on a free loopback port, trusting local connections, and stopped and
 * removed after. As root it runs as the {@code postgres} user, since PostgreSQL refuses to run as root.
 */
public final class Postgres implements AutoCloseable {
    private final Path dir;
    private final int port;
    private int databases;

    private Postgres(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static Postgres start() throws IOException, InterruptedException {
        Path bin = binaries();
        Path dir = Files.createTempDirectory("edgerent-pg");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Postgres pg = new Postgres(dir, port);
        if (isRoot()) {
            run(List.of("chown", "postgres:postgres", dir.toString()));
        }
        pg.asServerUser(
                bin.resolve("initdb"),
                "-D",
                dir.resolve("data").toString(),
                "-U",
                "edgerent",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8");
        pg.serve();
        return pg;
    }

    /** Stops the server ({@code pg_ctl -m fast}: every connection dropped), as a restart or a failover would. */
    public void stop() throws IOException, InterruptedException {
        asServerUser(binaries().resolve("pg_ctl"), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop");
    }

    /** Starts the server on its port and data: at first, and again after {@link #stop}. */
    public void serve() throws IOException, InterruptedException {
        asServerUser(
                binaries().resolve("pg_ctl"),
                "-D",
                dir.resolve("data").toString(),
                "-l",
                dir.resolve("server.log").toString(),
                "-w",
                "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                "start");
    }

    /** A new, empty database on this server; its URL. */
    public synchronized String newDatabase() throws Exception {
        String name = "edgerent" + (++databases);
        try (Connection c = DriverManager.getConnection(url("postgres"));
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=edgerent";
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void asServerUser(Path program, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (isRoot()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(program.toString());
        command.addAll(List.of(args));
        run(command);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The newest PostgreSQL server installed, as Debian lays it out. */
    private static Path binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException(
                    "no PostgreSQL server here: install Debian's postgresql package (scripts/prereqs.sh does)");
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                    .max(Comparator.comparingInt(
                            v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow(() -> new IllegalStateException("no initdb under " + root))
                    .resolve("bin");
        }
    }
}
