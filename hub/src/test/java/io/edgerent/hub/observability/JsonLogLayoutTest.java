package io.edgerent.hub.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLogLayoutTest {
    private final LoggerContext context = new LoggerContext();

    private LoggingEvent event(String message, Throwable error, Object... args) {
        LoggingEvent e = new LoggingEvent(
                "fqcn", context.getLogger("io.edgerent.hub.CoapApi"), Level.INFO, message, error, args);
        e.setTimeStamp(1_700_000_000_123L);
        e.setThreadName("CoapServer#1");
        return e;
    }

    @Test
    void a_line_is_one_json_object_with_the_message_and_its_arguments() {
        assertEquals(
                "{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"INFO\",\"logger\":\"io.edgerent.hub.CoapApi\","
                        + "\"thread\":\"CoapServer#1\",\"message\":\"device d-1 registered, tunnel port 40000\",\"args\":[\"d-1\",\"40000\"]}\n",
                new JsonLogLayout().doLayout(event("device {} registered, tunnel port {}", null, "d-1", 40000)));
    }

    @Test
    void quotes_backslashes_newlines_and_control_characters_are_escaped() {
        String line = new JsonLogLayout().doLayout(event("a \"quoted\" C:\\path\nsecond line\t\u0001", null));
        assertTrue(line.contains("\"message\":\"a \\\"quoted\\\" C:\\\\path\\nsecond line\\t\\u0001\""), line);
        assertEquals(1, line.split("\n", -1).length - 1, "one line: " + line);
    }

    @Test
    void an_error_travels_as_its_stack_trace_in_one_field() {
        LoggingEvent e = event("storing failed", new IllegalStateException("disk full"));
        e.setMDCPropertyMap(Map.of("rental", "r-1"));
        String line = new JsonLogLayout().doLayout(e);
        assertTrue(line.contains(",\"rental\":\"r-1\""), line);
        assertTrue(line.contains(",\"error\":\"java.lang.IllegalStateException: disk full\\n\\tat "), line);
        assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
    }
}
