package io.edgerent.provisioning;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The renter image a Pi starts rentals from, as {@code docker save} writes it (a tar, gzip'd or not, with
 * manifest.json naming the image's config). It goes onto the boot partition and setup.sh loads it into the
 * Pi's Docker engine: a Pi reaches no registry it could trust more than its owner's own card.
 */
final class RenterImage {
    private static final Pattern CONFIG = Pattern.compile("\"Config\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern ARCH = Pattern.compile("\"architecture\"\\s*:\\s*\"([^\"]+)\"");

    private RenterImage() {}

    /** Refuses, saying why, a file that is not a saved image or is one for another CPU than the Pi's. */
    static void check(Path file) throws IOException {
        String manifest = member(file, "manifest.json");
        Matcher config = CONFIG.matcher(manifest == null ? "" : manifest);
        if (!config.find()) {
            throw new ProvisionException(file + " is not a saved Docker image (no manifest.json naming a config);"
                    + " make one with: docker save edgerent/renter-base:arm64 -o renter-arm64.tar");
        }
        String json = member(file, config.group(1));
        Matcher arch = ARCH.matcher(json == null ? "" : json);
        String found = arch.find() ? arch.group(1) : "unknown";
        if (!found.equals("arm64")) {
            throw new ProvisionException(
                    file + " holds an image for " + found + "; a Raspberry Pi needs arm64"
                            + " (container-images/build.sh --arch arm64 renter-base, then docker save edgerent/renter-base:arm64)");
        }
    }

    /** One member of the archive as text, or null when it is not there (or the file is no tar). */
    private static String member(Path archive, String name) throws IOException {
        Tools.Result r = Tools.run(List.of("tar", "-xOf", archive.toString(), name));
        return r.code() == 0 ? r.out() : null;
    }
}
