package io.edgerent.hub.observability;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * This JVM's log configured from the hub's own logback.xml in one of its formats, as {@code --log-format} does, but
 * written into memory instead of standard error: the appender's encoder is the one logback.xml configured. Closing
 * it configures the log as it was (logback.xml's default).
 */
final class CapturedLog implements AutoCloseable {
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    CapturedLog(String format) throws JoranException {
        context.reset();
        context.putProperty("EDGERENT_LOG_FORMAT", format);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(CapturedLog.class.getResource("/logback.xml"));
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) root.getAppender("log");
        root.detachAppender(console);
        OutputStreamAppender<ILoggingEvent> memory = new OutputStreamAppender<>();
        memory.setContext(context);
        memory.setEncoder(console.getEncoder());
        memory.setOutputStream(written);
        memory.start();
        root.addAppender(memory);
    }

    /** Every line written so far. */
    List<String> lines() {
        return written.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Every line written so far, each parsed as one strict JSON object and nothing after it (or the test fails). */
    List<JsonObject> objects() {
        return lines().stream().map(CapturedLog::object).toList();
    }

    /** {@code line} as one strict JSON object, with nothing after it (else the test fails). */
    static JsonObject object(String line) {
        JsonReader reader = new JsonReader(new StringReader(line));
        reader.setStrictness(Strictness.STRICT);
        try {
            JsonObject object = JsonParser.parseReader(reader).getAsJsonObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new AssertionError("more than one JSON value on a line: " + line);
            }
            return object;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws JoranException {
        context.reset();
        new ContextInitializer(context).autoConfig();
    }
}
