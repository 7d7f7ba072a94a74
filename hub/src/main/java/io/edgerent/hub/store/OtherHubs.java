package io.edgerent.hub.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears, on a connection of its own, what the other hubs sharing this PostgreSQL database changed
 * (their NOTIFYs, sent when their transactions commit), and tells this hub's listeners: a
 * device observing its assignment here learns at once of a rental made through another hub, and
 * renters here lose access to a rental another hub closed. A lost connection is made again, with growing waits
 * (said once in the log, and once when it is back); LISTEN is then issued again and, since what was said meanwhile
 * went unheard, this hub is told to re-read what it may have missed.
 */
public final class OtherHubs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OtherHubs.class);
    private static final long FIRST_WAIT_MILLIS = 100;
    private static final long LONGEST_WAIT_MILLIS = 2_000;

    private final Database database;
    private final String channel;
    private final Consumer<String> heard;
    private final LongConsumer missedSince;
    private final Thread listener;
    private volatile boolean closed;

    /**
     * Hears what the other hubs on {@code database} say on {@code channel} (this hub's own messages left out); after
     * the connection was lost, {@code missedSince} is told when (epoch ms), once LISTEN was issued again.
     */
    public OtherHubs(Database database, String channel, Consumer<String> heard, LongConsumer missedSince) {
        this.database = database;
        this.channel = channel;
        this.heard = heard;
        this.missedSince = missedSince;
        ownBackend(); // fails at once on a connection that is not PostgreSQL's
        listener = new Thread(this::listen, "other-hubs");
        listener.setDaemon(true);
    }

    public void start() {
        listener.start();
    }

    private void listen() {
        long lostAt = 0; // when the connection was lost; 0 while it holds
        long wait = FIRST_WAIT_MILLIS;
        while (!closed) {
            try (Connection connection = database.connectAgain()) {
                connection.setAutoCommit(true);
                try (Statement s = connection.createStatement()) {
                    s.execute("LISTEN " + channel);
                }
                if (lostAt != 0) {
                    missedSince.accept(lostAt); // after LISTEN: a change made now is heard or re-read, never neither
                    LOG.warn("hearing the other hubs' changes again; re-read what they changed meanwhile");
                    lostAt = 0;
                    wait = FIRST_WAIT_MILLIS;
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
                    if (lostAt == 0) {
                        lostAt = System.currentTimeMillis();
                        LOG.warn("not hearing the other hubs' changes ({}); connecting again", e.getMessage());
                    }
                    pause(wait);
                    wait = Math.min(2 * wait, LONGEST_WAIT_MILLIS);
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

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
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
