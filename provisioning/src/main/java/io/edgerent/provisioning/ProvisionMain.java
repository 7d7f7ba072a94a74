package io.edgerent.provisioning;

import io.edgerent.client.HubClient;
import io.edgerent.link.Dtls;
import io.edgerent.link.HubKeyCheck;
import io.edgerent.protocol.SshKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/** {@code edgerent provision}: a fleet of Raspberry Pis from one Raspberry Pi OS image. */
public final class ProvisionMain {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final String HOOK =
            " systemd.run=/boot/firmware/edgerent/firstboot.sh systemd.run_success_action=reboot"
                    + " systemd.run_failure_action=reboot systemd.unit=kernel-command-line.target";

    private final PrintStream out;
    private final PrintStream err;

    public ProvisionMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(new ProvisionMain(System.out, System.err).run(args));
    }

    /** The options: name, value label (null for a flag) and what it does, for the parser and the help alike. */
    private static final String[][] OPTIONS = {
        {"--image", "FILE", "Raspberry Pi OS Lite, .img or .img.xz"},
        {
            "--hub",
            "URI[,URI...]",
            "the hub devices register with (or $EDGERENT_HUB); several hubs serving one fleet separated by"
                    + " commas: tokens come from the first, devices turn to the next when one does not answer"
        },
        {"--owner", "NAME", "whose devices these are; the hub makes one token per device for NAME"},
        {"--count", "N", "N devices named pi-01, pi-02, ... (1-999)"},
        {"--names", "A,B,...", "devices with these host names (lowercase letters, digits, -)"},
        {"--out", "DIR", "where to write (default ./fleet); re-running reuses the tokens there"},
        {
            "--shared",
            null,
            "one image for all (DIR/edgerent-fleet.img) plus, per device, the files to copy onto its boot partition"
                    + " after flashing (DIR/NAME/boot/)"
        },
        {"--ssh-key", "FILE", "your public key, for root over SSH on every device"},
        {"--wifi-ssid", "SSID", "Wi-Fi for devices without a cable (with --wifi-psk)"},
        {"--wifi-psk", "PSK", "the Wi-Fi's WPA passphrase, 8 to 63 characters"},
        {"--wifi-country", "CC", "the Wi-Fi's country code (default GB)"},
        {
            "--renter-image",
            "FILE",
            "the image rentals start from, as docker save writes it (.tar or .tar.gz) for arm64; it goes onto the"
                    + " boot partition and the Pi loads it at setup"
        },
        {"--kura-installer", "FILE", "Kura's .deb installer, to run Kura (then install the .dp in its web UI)"},
        {"--admin-secret", "FILE", "the hub's admin secret (default ~/.edgerent/hub/admin.secret)"},
        {
            "--device-dir",
            "DIR",
            "the built device launcher to put on the images (default: the one built beside this tool)"
        },
    };

    /** The command line: {@link #OPTIONS}, help, version and the exit codes. */
    static CommandLine commandLine() {
        CommandSpec spec = CommandSpec.create()
                .name("edgerent provision")
                .mixinStandardHelpOptions(true)
                .version("edgerent provision "
                        + Optional.ofNullable(ProvisionMain.class.getPackage().getImplementationVersion())
                                .orElse("(built from source)"));
        spec.usageMessage()
                .description(
                        "Writes, for every device, a Raspberry Pi OS image that brings it up on first boot: it sets"
                                + " the hostname, your SSH key and Wi-Fi, installs the Docker engine and Java 17 (and Kura, with --kura-installer) and"
                                + " starts the edgerent device, which registers with the hub using a one-time token made for it here. Flash each"
                                + " image to its SD card (dd, Raspberry Pi Imager).")
                .sortOptions(false)
                .autoWidth(true)
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(exitCodes());
        for (String[] o : OPTIONS) {
            spec.addOption(OptionSpec.builder(o[0])
                    .paramLabel(o[1] == null ? "" : o[1])
                    .type(o[1] == null ? boolean.class : String.class)
                    .description(o[2])
                    .build());
        }
        return new CommandLine(spec).setOverwrittenOptionsAllowed(true);
    }

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(" 0", "done");
        codes.put(" 1", "refused: a bad image, or the hub said no");
        codes.put(" 2", "wrong use of the command");
        codes.put(" 3", "the hub did not answer");
        return codes;
    }

    /** Exit codes as every edgerent command: 0 done, 1 refused (bad image, the hub said no), 2 usage, 3 hub unreachable. */
    public int run(String[] args) {
        CommandLine cli = commandLine();
        cli.setOut(new PrintWriter(out, true));
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return usage(e.getMessage());
        }
        if (CommandLine.executeHelpRequest(parsed) != null) {
            return 0;
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (OptionSpec option : parsed.matchedOptions()) {
            options.put(option.longestName(), option.type() == boolean.class ? "yes" : option.getValue());
        }
        try {
            return provision(Settings.from(options));
        } catch (UsageError e) {
            return usage(e.getMessage());
        } catch (ProvisionException e) {
            err.println("edgerent provision: " + e.getMessage());
            return 1;
        } catch (HubClient.HubRefusedException e) {
            err.println("edgerent provision: the hub refused: " + e.getMessage());
            return 1;
        } catch (HubClient.HubUnreachableException e) {
            err.println("edgerent provision: " + e.getMessage());
            return 3;
        } catch (IOException | RuntimeException e) {
            err.println("edgerent provision: " + e.getMessage());
            return 1;
        }
    }

    private int usage(String message) {
        err.println("edgerent provision: " + message + " (see edgerent provision --help)");
        return 2;
    }

    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }
    }

    record Settings(
            Path image,
            List<URI> hubs,
            String owner,
            List<String> names,
            Path out,
            boolean shared,
            Path sshKey,
            String wifiSsid,
            String wifiPsk,
            String wifiCountry,
            Path renterImage,
            Path kuraInstaller,
            Path adminSecret,
            Path deviceDir) {
        /** The hub this tool asks for tokens: the first. */
        URI hub() {
            return hubs.get(0);
        }

        /** The device's hub address setting: all of them, comma separated. */
        String hubSetting() {
            return String.join(",", hubs.stream().map(URI::toString).toList());
        }

        static Settings from(Map<String, String> o) {
            for (String key : o.keySet()) {
                if (!List.of(
                                "--image",
                                "--hub",
                                "--owner",
                                "--count",
                                "--names",
                                "--out",
                                "--shared",
                                "--ssh-key",
                                "--wifi-ssid",
                                "--wifi-psk",
                                "--wifi-country",
                                "--renter-image",
                                "--kura-installer",
                                "--admin-secret",
                                "--device-dir")
                        .contains(key)) {
                    throw new UsageError("unknown option " + key);
                }
            }
            Path image = Path.of(require(o, "--image"));
            if (!Files.isRegularFile(image)) {
                throw new UsageError("no image at " + image);
            }
            String hubText = o.getOrDefault("--hub", System.getenv("EDGERENT_HUB"));
            if (hubText == null) {
                throw new UsageError("--hub coaps://HOST:PORT is needed");
            }
            List<URI> hubs = Dtls.hubAddresses(hubText);
            if (hubs.isEmpty()) {
                throw new UsageError(
                        "--hub must look like coaps://HOST:PORT (coap://127.0.0.1:PORT for a hub on this machine; several"
                                + " hubs of one fleet separated by commas), got " + hubText);
            }
            String owner = require(o, "--owner");
            if (!NAME.matcher(owner).matches()) {
                throw new UsageError("--owner takes lowercase letters, digits and -, got " + owner);
            }
            List<String> names = new ArrayList<>();
            if (o.containsKey("--count") == o.containsKey("--names")) {
                throw new UsageError("give either --count N or --names A,B,...");
            }
            if (o.containsKey("--count")) {
                int count;
                try {
                    count = Integer.parseInt(o.get("--count"));
                } catch (NumberFormatException e) {
                    count = 0;
                }
                if (count < 1 || count > 999) {
                    throw new UsageError("--count takes a number from 1 to 999, got " + o.get("--count"));
                }
                for (int i = 1; i <= count; i++) {
                    names.add(String.format("pi-%02d", i));
                }
            } else {
                for (String name : o.get("--names").split(",")) {
                    if (!NAME.matcher(name.strip()).matches()) {
                        throw new UsageError(
                                "a host name takes lowercase letters, digits and - (at most 63), got '" + name + "'");
                    }
                    if (names.contains(name.strip())) {
                        throw new UsageError("the name " + name.strip() + " is given twice");
                    }
                    names.add(name.strip());
                }
            }
            boolean wifi = o.containsKey("--wifi-ssid");
            if (wifi != o.containsKey("--wifi-psk")) {
                throw new UsageError("--wifi-ssid and --wifi-psk go together");
            }
            if (wifi && (o.get("--wifi-psk").length() < 8 || o.get("--wifi-psk").length() > 63)) {
                throw new UsageError("a WPA passphrase has 8 to 63 characters");
            }
            Path sshKey = optionalFile(o, "--ssh-key");
            if (!o.containsKey("--renter-image")) {
                throw new UsageError(
                        "--renter-image FILE is needed: a Pi starts rentals from it and reaches no registry"
                                + " (container-images/build.sh --arch arm64 renter-base;"
                                + " docker save edgerent/renter-base:arm64 -o renter-arm64.tar)");
            }
            Path renterImage = optionalFile(o, "--renter-image");
            Path kura = optionalFile(o, "--kura-installer");
            Path secret = Path.of(
                    o.getOrDefault("--admin-secret", System.getProperty("user.home") + "/.edgerent/hub/admin.secret"));
            Path deviceDir = o.containsKey("--device-dir") ? Path.of(o.get("--device-dir")) : builtDevice();
            return new Settings(
                    image,
                    hubs,
                    owner,
                    names,
                    Path.of(o.getOrDefault("--out", "fleet")),
                    o.containsKey("--shared"),
                    sshKey,
                    o.get("--wifi-ssid"),
                    o.get("--wifi-psk"),
                    o.getOrDefault("--wifi-country", "GB"),
                    renterImage,
                    kura,
                    secret,
                    deviceDir);
        }

        private static String require(Map<String, String> o, String key) {
            String value = o.get(key);
            if (value == null) {
                throw new UsageError(key + " is needed");
            }
            return value;
        }

        private static Path optionalFile(Map<String, String> o, String key) {
            if (!o.containsKey(key)) {
                return null;
            }
            Path p = Path.of(o.get(key));
            if (!Files.isRegularFile(p)) {
                throw new UsageError(key + ": no file at " + p);
            }
            return p;
        }

        /** The device launcher built beside this jar: edge-bundles/launcher/target (jar, lib/, bundles/). */
        private static Path builtDevice() {
            try {
                Path jar = Path.of(ProvisionMain.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI());
                Path dir = jar.getParent().getParent().getParent().resolve("edge-bundles/launcher/target");
                if (!Files.isRegularFile(dir.resolve("edgerent-device.jar"))) {
                    throw new UsageError("the device launcher is not built at " + dir + " (./edgerent build)");
                }
                return dir;
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private int provision(Settings s) throws IOException {
        Files.createDirectories(s.out());
        String secret;
        try {
            secret = Files.readString(s.adminSecret()).strip();
        } catch (IOException e) {
            throw new UsageError(
                    "cannot read the hub's admin secret at " + s.adminSecret() + " (pass --admin-secret FILE)");
        }
        Path base = unpacked(s);
        try {
            writeFleet(s, secret, base);
        } finally {
            if (!base.equals(s.image())) {
                Files.deleteIfExists(base); // the decompressed copy, kept or refused
            }
        }
        return 0;
    }

    private void writeFleet(Settings s, String secret, Path base) throws IOException {
        PiImage.open(base); // refuse a foreign image before asking the hub for anything
        RenterImage.check(s.renterImage());
        HubClient hub = new HubClient(s.hub(), 10_000);
        Map<String, Properties> configs = new LinkedHashMap<>();
        for (String name : s.names()) {
            configs.put(name, deviceConfig(s, hub, secret, name));
        }
        if (s.shared()) {
            Path fleet = s.out().resolve("edgerent-fleet.img");
            writeImage(s, base, fleet, null);
            for (String name : s.names()) {
                Path boot = s.out().resolve(name).resolve("boot/edgerent");
                Files.createDirectories(boot);
                for (var file : deviceFiles(s, configs.get(name)).entrySet()) {
                    Files.write(boot.resolve(file.getKey()), file.getValue());
                }
            }
            out.println("wrote " + fleet + " for all " + s.names().size()
                    + " devices; after flashing a card, copy DIR/NAME/boot/"
                    + " onto its boot partition (the drive called bootfs)");
        } else {
            for (String name : s.names()) {
                writeImage(s, base, s.out().resolve(name + ".img"), configs.get(name));
            }
            out.println("wrote " + s.names().size() + " images in " + s.out()
                    + "; flash NAME.img to the card of device NAME");
        }
    }

    /** The device's configuration; a re-run reuses the token made the first time instead of spending another. */
    private Properties deviceConfig(Settings s, HubClient hub, String secret, String name) throws IOException {
        Path file = s.out().resolve(name).resolve("device.conf");
        Properties config = new Properties();
        if (Files.isRegularFile(file)) {
            config = readConfig(file);
            if (s.hubSetting().equals(config.getProperty("HUB")) && s.owner().equals(config.getProperty("OWNER"))) {
                return config;
            }
        }
        HubClient.IssuedToken issued = hub.issue(secret, s.owner());
        // Over DTLS the hub showed its key in the handshake: the key it names in the answer must be that one.
        if (hub.shownHubKey().isPresent()
                && !HubKeyCheck.sameKey(hub.shownHubKey().get(), SshKeys.ecdsaP256Key(issued.hubKey()))) {
            throw new IllegalStateException("the hub at " + s.hub() + " names the key '" + issued.hubKey()
                    + "' but showed another in the DTLS handshake; not writing it into any image");
        }
        config.setProperty("HUB", s.hubSetting());
        config.setProperty("HUB_KEY", issued.hubKey());
        config.setProperty("TOKEN", issued.token());
        config.setProperty("DEVICE_NAME", name);
        config.setProperty("OWNER", s.owner());
        Files.createDirectories(file.getParent());
        Path partial = file.resolveSibling("device.conf.partial");
        Files.write(partial, shellConfig(config));
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return config;
    }

    /**
     * device.conf as the first-boot script sources it and systemd reads it (EnvironmentFile): KEY='value',
     * the values checked to hold no quote. HUB_KEY is the hub's SSH host key, pinned by the device.
     */
    static byte[] shellConfig(Properties config) {
        StringBuilder text = new StringBuilder("# edgerent device configuration, read by edgerent/firstboot.sh\n");
        for (String key : List.of("HUB", "HUB_KEY", "TOKEN", "DEVICE_NAME", "OWNER")) {
            String value = config.getProperty(key, "");
            if (!value.matches(key.equals("HUB_KEY") ? "[A-Za-z0-9-]+ [A-Za-z0-9+/=]+" : "[A-Za-z0-9:/._,\\-]*")) {
                throw new ProvisionException("refusing to write " + key + " with unexpected characters: " + value);
            }
            text.append(key).append("='").append(value).append("'\n");
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Properties readConfig(Path file) throws IOException {
        Properties config = new Properties();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                config.setProperty(line.substring(0, eq), line.substring(eq + 1).replace("'", ""));
            }
        }
        return config;
    }

    /** The files of one device under edgerent/ on its boot partition. */
    private Map<String, byte[]> deviceFiles(Settings s, Properties config) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("device.conf", shellConfig(config));
        if (s.sshKey() != null) {
            files.put("authorized_keys", Files.readAllBytes(s.sshKey()));
        }
        if (s.wifiSsid() != null) {
            files.put(
                    "wifi.nmconnection",
                    ("[connection]\nid=edgerent-wifi\ntype=wifi\n\n[wifi]\nmode=infrastructure\nssid=" + s.wifiSsid()
                                    + "\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=" + s.wifiPsk()
                                    + "\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    /** Copies the base image to {@code target} (via a .partial file) and writes the boot files into it. */
    private void writeImage(Settings s, Path base, Path target, Properties device) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        long size = Files.size(base);
        try (InputStream in = Files.newInputStream(base);
                FileChannel o = FileChannel.open(
                        partial,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            // Sparse: an image is mostly empty space, which is skipped rather than written.
            copy(
                    in,
                    (buffer, from, n) -> {
                        if (zeros(buffer, n)) {
                            o.position(o.position() + n);
                        } else {
                            o.write(ByteBuffer.wrap(buffer, 0, n));
                        }
                    },
                    size,
                    target.getFileName().toString());
            if (o.size() < size) {
                o.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        PiImage image = PiImage.open(partial);
        String cmdline = image.read("cmdline.txt");
        if (cmdline == null) {
            throw new ProvisionException(
                    s.image() + " is not a Raspberry Pi OS image: its boot partition has no cmdline.txt");
        }
        if (!cmdline.contains("edgerent/firstboot.sh")) {
            image.write("cmdline.txt", (cmdline.strip() + HOOK + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        image.write("ssh", new byte[0]); // Raspberry Pi OS enables sshd when this file exists
        image.write("edgerent/firstboot.sh", resource("firstboot.sh"));
        image.write("edgerent/setup.sh", resource("setup.sh"));
        image.copyDirectory(s.deviceDir().resolve("lib"), "edgerent/device");
        image.copyDirectory(s.deviceDir().resolve("bundles"), "edgerent/device");
        image.copyFile(s.deviceDir().resolve("edgerent-device.jar"), "edgerent/device/edgerent-device.jar");
        String renterName =
                s.renterImage().getFileName().toString().endsWith("gz") ? "renter-image.tar.gz" : "renter-image.tar";
        image.copyFile(s.renterImage(), "edgerent/" + renterName);
        if (s.kuraInstaller() != null) {
            image.copyFile(
                    s.kuraInstaller(), "edgerent/device/" + s.kuraInstaller().getFileName());
        }
        if (device != null) {
            for (var file : deviceFiles(s, device).entrySet()) {
                image.write("edgerent/" + file.getKey(), file.getValue());
            }
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ProvisionMain.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    /** The raw image: the file itself, or an .xz decompressed next to the output (checked whole by xz). */
    private Path unpacked(Settings s) throws IOException {
        if (!s.image().getFileName().toString().endsWith(".xz")) {
            return s.image();
        }
        Path raw = s.out().resolve(".base.img");
        Process xz = new ProcessBuilder("xz", "--decompress", "--stdout")
                .redirectOutput(raw.toFile())
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        try (InputStream in = Files.newInputStream(s.image());
                OutputStream toXz = xz.getOutputStream()) {
            copy(
                    in,
                    toXz::write,
                    Files.size(s.image()),
                    "decompressing " + s.image().getFileName());
        } catch (IOException e) {
            // xz stopped reading: its own message below says why
        }
        String why = new String(xz.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (xz.waitFor() != 0) {
                Files.deleteIfExists(raw);
                throw new ProvisionException(s.image() + " is cut short or is not xz data ("
                        + why.replace("xz: (stdin): ", "") + "); download it again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return raw;
    }

    /** Where {@link #copy} puts each block it reads. */
    private interface Sink {
        void write(byte[] buffer, int from, int n) throws IOException;
    }

    private static boolean zeros(byte[] buffer, int n) {
        for (int i = 0; i < n; i++) {
            if (buffer[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Copies with a progress line on stderr: what, percent, MiB. */
    private void copy(InputStream in, Sink o, long total, String what) throws IOException {
        byte[] buffer = new byte[1 << 20];
        long done = 0;
        int shown = -1;
        for (int n; (n = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
            o.write(buffer, 0, n);
            done += n;
            int percent = total > 0 ? (int) (done * 100 / total) : 100;
            if (percent != shown) {
                shown = percent;
                int bar = percent / 5;
                err.printf("\r  %-28s [%-20s] %3d%% %,d MiB", what, "#".repeat(bar), percent, done >> 20);
            }
        }
        err.println();
    }
}
