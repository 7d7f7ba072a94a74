package io.edgerent.edge.launcher;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Standard error as systemd's journal reads it: each log line starts with its syslog priority ({@code <3>}
 * error, {@code <4>} warning, {@code <6>} info, sd-daemon(3)), taken from the level slf4j-simple writes after
 * the thread. So {@code journalctl -p warning} finds the device's problems, and a unit with
 * {@code StandardError=kmsg} shows them on the console. Used only when stderr is the journal (JOURNAL_STREAM).
 */
final class JournalPriorities extends OutputStream {
    private static final Pattern LEVEL = Pattern.compile("^\\S+ \\[[^\\]]*\\] (ERROR|WARN|INFO|DEBUG|TRACE) ");

    private final OutputStream out;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private JournalPriorities(OutputStream out) {
        this.out = out;
    }

    /** Replaces System.err when it is connected to the journal. */
    static void installIfJournal() {
        if (System.getenv("JOURNAL_STREAM") != null) {
            System.setErr(new PrintStream(new JournalPriorities(System.err), true, StandardCharsets.UTF_8));
        }
    }

    static String priority(String line) {
        Matcher m = LEVEL.matcher(line);
        if (!m.find()) {
            return "";
        }
        return switch (m.group(1)) {
            case "ERROR" -> "<3>";
            case "WARN" -> "<4>";
            case "INFO" -> "<6>";
            default -> "<7>";
        };
    }

    @Override
    public synchronized void write(int b) throws java.io.IOException {
        line.write(b);
        if (b == '\n') {
            String text = line.toString(StandardCharsets.UTF_8);
            out.write((priority(text) + text).getBytes(StandardCharsets.UTF_8));
            out.flush();
            line.reset();
        }
    }

    @Override
    public synchronized void flush() throws java.io.IOException {
        out.flush();
    }
}
