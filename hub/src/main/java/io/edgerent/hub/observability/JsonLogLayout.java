package io.edgerent.hub.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.util.Map;

/**
 * The hub's structured log: one JSON object per line, for log collectors ({@code edgerent hub
 * --log-format json}). Fields: {@code time} (ISO-8601 UTC), {@code level}, {@code logger},
 * {@code thread}, {@code message} (as the text log shows it), {@code args} (the message's
 * arguments, such as device ids and rental names, as strings), the MDC's entries if any, and
 * {@code error} (the stack trace) when there is one.
 */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {
    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"time\":");
        quote(json, Instant.ofEpochMilli(event.getTimeStamp()).toString());
        json.append(",\"level\":");
        quote(json, event.getLevel().toString());
        json.append(",\"logger\":");
        quote(json, event.getLoggerName());
        json.append(",\"thread\":");
        quote(json, event.getThreadName());
        json.append(",\"message\":");
        quote(json, event.getFormattedMessage());
        Object[] args = event.getArgumentArray();
        if (args != null && args.length > 0) {
            json.append(",\"args\":[");
            for (int i = 0; i < args.length; i++) {
                json.append(i == 0 ? "" : ",");
                quote(json, String.valueOf(args[i]));
            }
            json.append(']');
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            for (Map.Entry<String, String> e : mdc.entrySet()) {
                json.append(',');
                quote(json, e.getKey());
                json.append(':');
                quote(json, e.getValue());
            }
        }
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            json.append(",\"error\":");
            quote(json, ThrowableProxyUtil.asString(error));
        }
        return json.append("}\n").toString();
    }

    /** Appends {@code text} as a JSON string: quotes, backslashes and control characters escaped. */
    static void quote(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
