package io.edgerent.hub.threads;

import java.util.concurrent.ThreadFactory;

/** Threads that do not keep the hub's JVM alive, for pools whose work may be dropped when the hub stops. */
public final class DaemonThreads {
    private DaemonThreads() {}

    /** A factory of daemon threads all named {@code name}. */
    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
