package io.edgerent.hub;

import java.util.concurrent.ThreadFactory;

/** Threads that do not keep the hub's JVM alive, for pools whose work may be dropped when the hub stops. */
final class DaemonThreads {
    private DaemonThreads() {}

    /** A factory of daemon threads all named {@code name}. */
    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
