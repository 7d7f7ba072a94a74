package io.edgerent.provisioning;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Raspberry Pi OS disk image: an MBR partition table whose first FAT partition is the boot
 * partition (config.txt, cmdline.txt, the kernel). Files go into it with mtools, which reads and
 * writes a FAT file system inside an image at an offset, without root and without mounting.
 */
final class PiImage {
    private static final int SECTOR = 512;

    final Path file;
    /** Byte offset of the boot (FAT) partition. */
    final long bootOffset;

    private PiImage(Path file, long bootOffset) {
        this.file = file;
        this.bootOffset = bootOffset;
    }

    /** Opens an image, refusing with a clear reason anything that is not a Pi image. */
    static PiImage open(Path file) throws IOException {
        long size = Files.size(file);
        byte[] mbr = new byte[SECTOR];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            if (size < SECTOR) {
                throw new ProvisionException(file + " is not a Raspberry Pi image: it is only " + size + " bytes");
            }
            raf.readFully(mbr);
            if ((mbr[510] & 0xff) != 0x55 || (mbr[511] & 0xff) != 0xaa) {
                throw new ProvisionException(file + " is not a Raspberry Pi image: it has no partition table (MBR)");
            }
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int entry = 446 + 16 * i;
                int type = mbr[entry + 4] & 0xff;
                long start = u32(mbr, entry + 8) * SECTOR;
                long length = u32(mbr, entry + 12) * SECTOR;
                if (type == 0) {
                    continue;
                }
                seen.add(String.format("type 0x%02x", type));
                if (type == 0x0b || type == 0x0c || type == 0x06 || type == 0x0e || type == 0x04) {
                    if (start + length > size) {
                        throw new ProvisionException(
                                file + " is cut short: its boot partition ends at byte " + (start + length)
                                        + " but the file has " + size + " (an interrupted download or decompression?)");
                    }
                    byte[] boot = new byte[SECTOR];
                    raf.seek(start);
                    raf.readFully(boot);
                    String fsType = new String(boot, 82, 8, StandardCharsets.US_ASCII)
                            + new String(boot, 54, 8, StandardCharsets.US_ASCII);
                    if ((boot[510] & 0xff) != 0x55 || (boot[511] & 0xff) != 0xaa || !fsType.contains("FAT")) {
                        throw new ProvisionException(
                                file + " is not a Raspberry Pi image: its first partition is marked FAT"
                                        + " but holds no FAT file system");
                    }
                    return new PiImage(file, start);
                }
            }
            throw new ProvisionException(
                    file + " is not a Raspberry Pi image: no FAT boot partition among its partitions ("
                            + (seen.isEmpty() ? "none" : String.join(", ", seen)) + ")");
        }
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    /** Reads a file of the boot partition, or null when it is not there. */
    String read(String path) throws IOException {
        Tools.Result r = Tools.run(List.of("mtype", "-i", image(), "::/" + path));
        return r.code() == 0 ? r.out() : null;
    }

    /** Writes (replacing) a file of the boot partition, creating its directories. */
    void write(String path, byte[] content) throws IOException {
        Path temp = Files.createTempFile("edgerent-boot", ".tmp");
        try {
            Files.write(temp, content);
            copyFile(temp, path);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Copies a local file (of any size: it is not read into memory) to {@code path} on the boot partition. */
    void copyFile(Path local, String path) throws IOException {
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            mkdirs(path.substring(0, slash));
        }
        Tools.check(
                Tools.run(List.of("mcopy", "-o", "-i", image(), local.toString(), "::/" + path)),
                "copy " + local + " into " + file);
    }

    /** Copies a local directory, with everything in it, into directory {@code parent} of the boot partition. */
    void copyDirectory(Path local, String parent) throws IOException {
        mkdirs(parent);
        Tools.check(
                Tools.run(List.of("mcopy", "-o", "-s", "-i", image(), local.toString(), "::/" + parent + "/")),
                "copy " + local + " into " + file);
    }

    private void mkdirs(String path) throws IOException {
        String sofar = "";
        for (String part : path.split("/")) {
            sofar = sofar.isEmpty() ? part : sofar + "/" + part;
            if (Tools.run(List.of("mdir", "-b", "-i", image(), "::/" + sofar)).code() != 0) {
                Tools.check(Tools.run(List.of("mmd", "-i", image(), "::/" + sofar)), "make " + sofar + " in " + file);
            }
        }
    }

    private String image() {
        return file + "@@" + bootOffset;
    }
}
