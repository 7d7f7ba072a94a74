package io.edgerent.hub.router.http;

import java.util.List;
import java.util.Map;

/**
 * The hub's own pages, as the router serves them in process for every host that is not a rental's: it hands over
 * a whole request (bodies are small forms) with the client's address and scheme it saw itself, so nothing a client
 * writes in a header can change who the pages think it is.
 */
public interface Pages {
    /** Called on a worker thread: pages may read and write the database. */
    Reply serve(Request request);

    /** {@code headers}: lower-case names, each with its values in order. */
    record Request(
            String method, String uri, Map<String, List<String>> headers, byte[] body, boolean https, String client) {}

    /** {@code headers}: name and value pairs, in order. */
    record Reply(int status, List<String[]> headers, byte[] body) {}
}
