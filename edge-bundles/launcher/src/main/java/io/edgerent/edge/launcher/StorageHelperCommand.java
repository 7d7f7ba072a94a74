package io.edgerent.edge.launcher;

import io.edgerent.edge.storage.local.StorageHelper;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code edgerent-device.jar storage-helper}: the root side of rentals' storage, for a device that is not root. */
@Command(
        name = "edgerent-device.jar storage-helper",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Makes, mounts and erases rentals' encrypted volumes for a device process that is not root, such as"
                    + " Kura's kurad, which asks through a Unix socket. Runs as root, until stopped (its systemd unit:"
                    + " edgerent-storage-helper.service).",
            "Requests come from a fixed vocabulary and name rentals and images, never paths: nothing sent over the"
                    + " socket reaches outside the volumes directory."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped", "1:could not serve (socket, directory or group)", "2:bad options"})
final class StorageHelperCommand implements Callable<Integer> {
    @Option(
            names = "--socket",
            paramLabel = "PATH",
            description = "Unix socket to listen on, mode 0660 (default: ${DEFAULT-VALUE})")
    Path socket = Path.of("/run/edgerent/storage.sock");

    @Option(
            names = "--volumes",
            paramLabel = "DIR",
            description = "directory of the rental volumes; the helper works under it only (default: ${DEFAULT-VALUE})")
    Path volumes = Path.of("/var/lib/edgerent/volumes");

    @Option(
            names = "--group",
            paramLabel = "NAME",
            description = "group given the socket: the device's (kurad on Kura); default: root's")
    String group;

    @Override
    public Integer call() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("storage-helper: must run as root (it mounts and opens encrypted volumes)");
            return 1;
        }
        StorageHelper.serve(volumes, socket, group);
        return 0;
    }

    static int run(String... args) {
        return new CommandLine(new StorageHelperCommand())
                .setExecutionExceptionHandler((e, cli, parsed) -> {
                    System.err.println("storage-helper: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
                    return 1;
                })
                .execute(args);
    }
}
