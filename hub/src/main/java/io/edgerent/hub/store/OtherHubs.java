package io.edgerent.hub.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears, on a connection of its own, what the other hubs sharing this PostgreSQL database changed
 * (their NOTIFYs, sent when their transactions commit), and tells this hub's listeners: a
 * device observing its assignment here learns at once of a rental made through another hub, and
 * renters here lose access to a rental another hub closed. A lost connection is made again; devices'
 * heartbeats carry their assignment meanwhile.
 */
public final class OtherHubs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OtherHubs.class);

    private final Database database;
    private final String channel;
    private final Consumer<String> heard;
    private final Thread listener;
    private volatile boolean closed;

    /** Hears what the other hubs on {@code database} say on {@code channel} (this hub's own messages left out). */
    public OtherHubs(Database database, String channel, Consumer<String> heard) {
        this.database = database;
        this.channel = channel;
        this.heard = heard;
        ownBackend(); // fails at once on a connection that is not PostgreSQL's
        listener = new Thread(this::listen, "other-hubs");
        listener.setDaemon(true);
    }

    public void start() {
        listener.start();
    }

    private void listen() {
        while (!closed) {
            try (Connection connection = database.connectAgain()) {
                connection.setAutoCommit(true);
                try (Statement s = connection.createStatement()) {
                    s.execute("LISTEN " + channel);
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notes = pg.getNotifications(500);
                    int own = notes == null ? 0 : ownBackend();
                    for (PGNotification n : notes == null ? new PGNotification[0] : notes) {
                        if (n.getPID() != own) {
                            heard.accept(n.getParameter());
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!closed) {
                    LOG.warn("not hearing the other hubs' changes ({}); connecting again in 1 s", e.getMessage());
                    sleepASecond();
                }
            }
        }
    }

    /** This hub's own writer, whose messages are not news: asked each time, as the writer may have connected again. */
    private int ownBackend() {
        try {
            return database.connection().unwrap(PGConnection.class).getBackendPID();
        } catch (SQLException e) {
            throw new IllegalStateException("the database connection is not PostgreSQL's: " + e.getMessage(), e);
        }
    }

    private static void sleepASecond() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        listener.interrupt();
        try {
            listener.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
