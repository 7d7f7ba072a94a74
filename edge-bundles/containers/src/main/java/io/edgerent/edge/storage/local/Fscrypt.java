package io.edgerent.edge.storage.local;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Linux filesystem encryption (fscrypt, v2 policies) through its ioctls, as in
 * Documentation/filesystems/fscrypt.rst. The raw key is handed to the filesystem's own keyring and
 * never stored; policies and removal name the key by the identifier the kernel derives from it.
 * The ioctl numbers and layouts are the same on amd64 and arm64.
 */
final class Fscrypt {
    static final int KEY_SIZE = 64; // AES-256-XTS takes a 512-bit key
    private static final long ADD_KEY = 0xC0506617L; // FS_IOC_ADD_ENCRYPTION_KEY
    private static final long SET_POLICY = 0x800C6613L; // FS_IOC_SET_ENCRYPTION_POLICY
    private static final long GET_POLICY_EX = 0xC0096616L; // FS_IOC_GET_ENCRYPTION_POLICY_EX
    private static final long REMOVE_KEY = 0xC0406618L; // FS_IOC_REMOVE_ENCRYPTION_KEY
    private static final long KEY_STATUS = 0xC080661AL; // FS_IOC_GET_ENCRYPTION_KEY_STATUS
    private static final int KEY_SPEC_IDENTIFIER = 2;
    private static final int IDENTIFIER_SIZE = 16;
    private static final int ENOKEY = 126;
    private static final int ENODATA = 61;

    /** What the kernel says of a key: FSCRYPT_KEY_STATUS_ABSENT, _PRESENT, _INCOMPLETELY_REMOVED. */
    enum KeyStatus {
        UNKNOWN,
        ABSENT,
        PRESENT,
        INCOMPLETELY_REMOVED
    }

    private interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final class C {
        static final LibC LIB = Native.load("c", LibC.class);
    }

    private Fscrypt() {}

    /** Adds a raw key to the keyring of the filesystem mounted at {@code mount}; returns its identifier. */
    static byte[] addKey(Path mount, byte[] key) throws IOException {
        try (Memory arg = new Memory(80 + key.length)) {
            arg.clear();
            arg.setInt(0, KEY_SPEC_IDENTIFIER);
            arg.setInt(40, key.length);
            arg.write(80, key, 0, key.length);
            try {
                ioctl(mount, ADD_KEY, arg, "add the volume key");
                return arg.getByteArray(8, IDENTIFIER_SIZE);
            } finally {
                arg.clear(); // the key's copy in native memory
            }
        }
    }

    /** Makes the empty directory {@code dir} encrypted with the key {@code identifier} (AES-256-XTS, AES-256-CTS names). */
    static void setPolicy(Path dir, byte[] identifier) throws IOException {
        try (Memory policy = new Memory(24)) {
            policy.clear();
            policy.setByte(0, (byte) 2); // FSCRYPT_POLICY_V2
            policy.setByte(1, (byte) 1); // FSCRYPT_MODE_AES_256_XTS for contents
            policy.setByte(2, (byte) 4); // FSCRYPT_MODE_AES_256_CTS for names
            policy.setByte(3, (byte) 0x03); // FSCRYPT_POLICY_FLAGS_PAD_32
            policy.write(8, identifier, 0, IDENTIFIER_SIZE);
            ioctl(dir, SET_POLICY, policy, "encrypt " + dir);
        }
    }

    /** The identifier of the key that encrypts {@code dir}, or null when it is not encrypted. */
    static byte[] policyKey(Path dir) throws IOException {
        try (Memory arg = new Memory(32)) {
            arg.clear();
            arg.setLong(0, 24);
            try {
                ioctl(dir, GET_POLICY_EX, arg, "read the encryption policy of " + dir);
            } catch (ErrnoException e) {
                if (e.errno == ENODATA) {
                    return null;
                }
                throw e;
            }
            return arg.getByte(8) == 2 ? arg.getByteArray(16, IDENTIFIER_SIZE) : null;
        }
    }

    /**
     * Removes the key from the filesystem's keyring, which locks every file it encrypts; returns the
     * kernel's removal flags (1: files still open, so not all were locked). A key already gone is no error.
     */
    static int removeKey(Path mount, byte[] identifier) throws IOException {
        try (Memory arg = new Memory(64)) {
            arg.clear();
            arg.setInt(0, KEY_SPEC_IDENTIFIER);
            arg.write(8, identifier, 0, IDENTIFIER_SIZE);
            try {
                ioctl(mount, REMOVE_KEY, arg, "remove the volume key");
            } catch (ErrnoException e) {
                if (e.errno == ENOKEY) {
                    return 0;
                }
                throw e;
            }
            return arg.getInt(40);
        }
    }

    static KeyStatus keyStatus(Path mount, byte[] identifier) throws IOException {
        try (Memory arg = new Memory(128)) {
            arg.clear();
            arg.setInt(0, KEY_SPEC_IDENTIFIER);
            arg.write(8, identifier, 0, IDENTIFIER_SIZE);
            ioctl(mount, KEY_STATUS, arg, "read the volume key's status");
            int status = arg.getInt(64);
            return status >= 1 && status <= 3 ? KeyStatus.values()[status] : KeyStatus.UNKNOWN;
        }
    }

    /** An ioctl the kernel refused, with its errno. */
    static final class ErrnoException extends IOException {
        final int errno;

        ErrnoException(String message, int errno) {
            super(message);
            this.errno = errno;
        }
    }

    private static void ioctl(Path path, long request, Memory arg, String what) throws IOException {
        int fd;
        try {
            fd = C.LIB.open(path.toString(), 0); // O_RDONLY, which opens a directory too
        } catch (LastErrorException e) {
            throw new ErrnoException(
                    "cannot open " + path + " to " + what + ": errno " + e.getErrorCode(), e.getErrorCode());
        }
        try {
            C.LIB.ioctl(fd, new NativeLong(request, true), arg);
        } catch (LastErrorException e) {
            throw new ErrnoException(
                    "cannot " + what + ": errno " + e.getErrorCode() + describe(e.getErrorCode()), e.getErrorCode());
        } finally {
            C.LIB.close(fd);
        }
    }

    private static String describe(int errno) {
        return switch (errno) {
            case 95 -> " (the filesystem does not support encryption: ext4 needs -O encrypt)";
            case 25 -> " (not a file system that supports this)";
            case ENOKEY -> " (the key is not in the filesystem's keyring)";
            case 1, 13 -> " (needs root)";
            default -> "";
        };
    }
}
