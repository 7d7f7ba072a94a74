package io.edgerent.client;

import io.edgerent.client.command.Context;
import io.edgerent.client.command.Edgerent;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The {@code edgerent} command for owners and renters; the commands live in {@link Edgerent}. Exit codes: 0 done, 1 the hub
 * refused, 2 bad usage, 3 the hub did not answer, 4 the hub failed.
 */
public final class ClientMain {
    private final PrintStream out;
    private final PrintStream err;
    private final Path home;

    public ClientMain(PrintStream out, PrintStream err, Path home) {
        this.out = out;
        this.err = err;
        this.home = home;
    }

    public static void main(String[] args) {
        String home = System.getenv("EDGERENT_HOME");
        Path homeDir =
                home == null || home.isBlank() ? Path.of(System.getProperty("user.home"), ".edgerent") : Path.of(home);
        System.exit(new ClientMain(System.out, System.err, homeDir).run(args));
    }

    public int run(String[] args) {
        return Edgerent.commandLine(new Context(out, err, home)).execute(args);
    }
}
