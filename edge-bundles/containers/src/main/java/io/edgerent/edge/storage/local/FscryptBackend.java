package io.edgerent.edge.storage.local;

import io.edgerent.edge.hostos.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * ext4's native encryption on a loop-mounted image: for kernels without dm-crypt. The key lives in
 * the filesystem's keyring from creation until {@link #lock}; removing it locks every file at once.
 */
final class FscryptBackend implements Backend {
    private static final SecureRandom RANDOM = new SecureRandom();

    static boolean available() {
        return Files.exists(Path.of("/sys/fs/ext4/features/encryption")) && Host.has("mkfs.ext4") && Host.has("mount");
    }

    @Override
    public String name() {
        return "fscrypt";
    }

    @Override
    public void create(Layout layout) throws IOException {
        Host.run(
                "mkfs.ext4",
                "-q",
                "-F",
                "-O",
                "encrypt",
                "-m",
                "0",
                "-E",
                "lazy_itable_init=1,lazy_journal_init=1,nodiscard", // a discard would punch the allocation out
                "-L",
                layout.rental(),
                layout.image().toString());
        Files.createDirectories(layout.mount());
        Host.run(
                "mount",
                "-t",
                "ext4",
                "-o",
                "loop,nodev,nosuid",
                layout.image().toString(),
                layout.mount().toString());
        Files.createDirectories(layout.vault());
        byte[] key = new byte[Fscrypt.KEY_SIZE];
        RANDOM.nextBytes(key);
        try {
            Fscrypt.setPolicy(layout.vault(), Fscrypt.addKey(layout.mount(), key));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        Files.createDirectories(layout.data()); // inherits the vault's policy, as everything made under it does
    }

    @Override
    public boolean unlocked(Layout layout) throws IOException {
        if (!Host.isMounted(layout.mount()) || !Files.isDirectory(layout.vault())) {
            return false;
        }
        byte[] identifier = Fscrypt.policyKey(layout.vault());
        return identifier != null && Fscrypt.keyStatus(layout.mount(), identifier) == Fscrypt.KeyStatus.PRESENT;
    }

    @Override
    public boolean lock(Layout layout, List<String> steps, List<String> checks) throws IOException {
        boolean ok = true;
        if (Host.isMounted(layout.mount())) {
            byte[] identifier = Files.isDirectory(layout.vault()) ? Fscrypt.policyKey(layout.vault()) : null;
            if (identifier != null) {
                String id = HexFormat.of().formatHex(identifier);
                int flags = Fscrypt.removeKey(layout.mount(), identifier);
                steps.add("key " + id + " removed from the kernel"
                        + ((flags & 1) != 0 ? " (some files were still open)" : ""));
                Fscrypt.KeyStatus status = Fscrypt.keyStatus(layout.mount(), identifier);
                checks.add("key " + id + " in the kernel: " + status.name().toLowerCase());
                ok = status == Fscrypt.KeyStatus.ABSENT;
            }
            Host.run("umount", layout.mount().toString());
            steps.add("volume unmounted");
        }
        return ok;
    }
}
