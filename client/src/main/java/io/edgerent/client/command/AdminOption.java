package io.edgerent.client.command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --admin-secret}: the hub operator's secret, for the commands only the operator may run. */
public final class AdminOption {
    @Option(
            names = "--admin-secret",
            paramLabel = "FILE",
            description = "the hub's admin secret (default $EDGERENT_HOME/hub/admin.secret, on the hub machine)")
    Path file;

    String read(Context context) {
        Path secretFile = file != null ? file : context.home().resolve("hub").resolve("admin.secret");
        try {
            return Files.readString(secretFile).strip();
        } catch (IOException e) {
            throw new UsageException("cannot read the hub's admin secret at " + secretFile
                    + " (run this on the hub machine, or pass --admin-secret FILE)");
        }
    }
}
