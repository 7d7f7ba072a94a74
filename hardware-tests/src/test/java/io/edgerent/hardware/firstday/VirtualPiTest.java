package io.edgerent.hardware.firstday;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The first day on a virtual Pi ({@link VirtualLab}), in the test command. What is not real: the Pi's board and
 * firmware (qemu's virt board, and boot.sh doing what the firmware does with the boot partition: cmdline.txt,
 * kernel8.img, initramfs8, serial0 as the UART), and its card, an image file.
 */
@ExtendWith(CanEmulateAPi.class)
class VirtualPiTest extends FirstDay {
    @Override
    Lab lab(Path dir, Path ownerKey) throws Exception {
        return new VirtualLab(dir, ownerKey);
    }

    @Override
    String what() {
        return "virtual Pi";
    }
}
