package io.edgerent.client.command;

import com.google.gson.GsonBuilder;
import picocli.CommandLine.Option;

/** {@code -o text|json}: a table for people, or JSON of a stable shape (docs/cli.md) for programs. */
public final class OutputOption {
    enum Format {
        text,
        json
    }

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            defaultValue = "text",
            description = "text (a table, the default) or json (the shape docs/cli.md describes)")
    Format format;

    boolean json() {
        return format == Format.json;
    }

    /** Prints maps, lists, strings, numbers and booleans as indented JSON, nulls kept. */
    static void print(Context context, Object value) {
        context.out()
                .println(new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeNulls()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(value));
    }
}
