package io.edgerent.edge.hostos;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The host's own tools (mkfs, mount, cryptsetup, iptables), run as child processes, and its mount table. */
public final class Host {
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private Host() {}

    /** Runs a command to completion; a non-zero exit throws with what it printed. */
    public static String run(String... command) throws IOException {
        return run((Input) null, command);
    }

    /** Runs a command with {@code stdin} as its input (secrets go this way, never on the command line). */
    public static String run(byte[] stdin, String... command) throws IOException {
        return run(stdin == null ? null : (Input) in -> in.write(stdin), command);
    }

    /** What a command reads on its standard input, written as it runs (an image's tar, for one). */
    public interface Input {
        void writeTo(OutputStream in) throws IOException;
    }

    /** Runs a command with what {@code stdin} writes as its input; a non-zero exit throws with what it printed. */
    public static String run(Input stdin, String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PATH", PATH);
        builder.environment().put("LC_ALL", "C");
        Process process = builder.start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                stdin.writeTo(in);
            }
        } catch (IOException | RuntimeException e) {
            // The input failed (a cut tar, for one): the command is ended before the caller goes on, or it would
            // still be writing where the caller cleans up.
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException interrupted) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            throw e;
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException(command[0] + " did not finish within 2 minutes");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command[0], e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + output);
        }
        return output;
    }

    /** Whether this process runs as root (effective user id 0), from its status in /proc. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            // No /proc: not Linux, so not the device this runs on; treat as root, the tools will say what fails.
        }
        return "root".equals(System.getProperty("user.name"));
    }

    /** Deletes a directory and everything in it, not following links. */
    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Whether a command exits with 0. */
    public static boolean succeeds(String... command) {
        try {
            run(command);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a program is installed in one of the usual places. */
    public static boolean has(String program) {
        for (String dir : PATH.split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Whether something is mounted exactly at {@code path}, from this process's mount table. */
    public static boolean isMounted(Path path) throws IOException {
        String wanted = path.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            List<String> fields = List.of(line.split(" "));
            if (fields.size() > 4 && unescape(fields.get(4)).equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    /** The kernel writes space, tab, newline and backslash in mount paths as octal escapes. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\'
                    && i + 3 < field.length()
                    && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
