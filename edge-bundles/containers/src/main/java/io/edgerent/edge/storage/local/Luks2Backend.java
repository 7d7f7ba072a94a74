package io.edgerent.edge.storage.local;

import io.edgerent.edge.hostos.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * LUKS2 (dm-crypt) on the backing image, for kernels that have dm-crypt, as Raspberry Pi OS does.
 * The key goes to cryptsetup on its standard input; after the volume is opened only dm-crypt holds it.
 * The key derivation is cheap on purpose: the key is 512 random bits, not a passphrase.
 */
final class Luks2Backend implements Backend {
    private static final SecureRandom RANDOM = new SecureRandom();

    static boolean available() {
        return Files.exists(Path.of("/dev/mapper/control")) && Host.has("cryptsetup") && Host.has("mkfs.ext4");
    }

    @Override
    public String name() {
        return "luks2";
    }

    private static String mapping(Layout layout) {
        return "edgerent-" + layout.rental();
    }

    private static Path device(Layout layout) {
        return Path.of("/dev/mapper", mapping(layout));
    }

    @Override
    public void create(Layout layout) throws IOException {
        byte[] key = new byte[64];
        RANDOM.nextBytes(key);
        try {
            Host.run(
                    key,
                    "cryptsetup",
                    "luksFormat",
                    "--batch-mode",
                    "--type",
                    "luks2",
                    "--pbkdf",
                    "pbkdf2",
                    "--pbkdf-force-iterations",
                    "1000",
                    "--key-file",
                    "-",
                    layout.image().toString());
            Host.run(
                    key,
                    "cryptsetup",
                    "open",
                    "--type",
                    "luks2",
                    "--key-file",
                    "-",
                    layout.image().toString(),
                    mapping(layout));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        Host.run(
                "mkfs.ext4",
                "-q",
                "-F",
                "-m",
                "0",
                "-E",
                "lazy_itable_init=1,lazy_journal_init=1,nodiscard", // a discard would punch the allocation out
                device(layout).toString());
        Files.createDirectories(layout.mount());
        Host.run(
                "mount",
                "-t",
                "ext4",
                "-o",
                "nodev,nosuid",
                device(layout).toString(),
                layout.mount().toString());
        Files.createDirectories(layout.data());
    }

    @Override
    public boolean unlocked(Layout layout) throws IOException {
        return Host.isMounted(layout.mount()) && Files.exists(device(layout)) && Files.isDirectory(layout.data());
    }

    @Override
    public boolean lock(Layout layout, List<String> steps, List<String> checks) throws IOException {
        if (Host.isMounted(layout.mount())) {
            Host.run("umount", layout.mount().toString());
            steps.add("volume unmounted");
        }
        if (Files.exists(device(layout))) {
            Host.run("cryptsetup", "close", mapping(layout));
            steps.add("dm-crypt mapping closed: the key is out of the kernel");
        }
        if (Files.exists(layout.image())
                && Host.succeeds("cryptsetup", "isLuks", layout.image().toString())) {
            Host.run("cryptsetup", "erase", "--batch-mode", layout.image().toString());
            steps.add("LUKS2 key slots erased");
        }
        boolean closed = !Files.exists(device(layout));
        checks.add("dm-crypt mapping " + mapping(layout) + ": " + (closed ? "gone" : "still open"));
        return closed;
    }
}
