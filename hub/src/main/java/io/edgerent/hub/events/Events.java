package io.edgerent.hub.events;

import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.RentalView;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who hears what changed: the adapters' listeners, once a transaction committed, and the other hubs on the
 * same database, in that transaction (they pass it on to their own listeners).
 */
public final class Events {
    /** The channel hubs sharing a database tell each other about changes on, and what they say. */
    public static final String CHANNEL = "edgerent_events";

    private static final String ASSIGNMENT_CHANGED = "assignment ";
    private static final String RENTAL_CLOSED = "closed ";

    private final Sql sql;
    private final List<AssignmentListener> assignmentListeners = new CopyOnWriteArrayList<>();
    private final List<ClosedRentalListener> closedRentalListeners = new CopyOnWriteArrayList<>();

    public Events(Sql sql) {
        this.sql = sql;
    }

    /** Called with a device id whenever what that device should be doing changed. */
    public void onAssignmentChanged(AssignmentListener listener) {
        assignmentListeners.add(listener);
    }

    /** Called with a rental name when renters must lose access to it (paused, ending, ended). */
    public void onRentalClosed(ClosedRentalListener listener) {
        closedRentalListeners.add(listener);
    }

    /** What another hub on this database said a change of its was: this hub's listeners hear it too. */
    public void heardFromOtherHub(String event) {
        if (event.startsWith(ASSIGNMENT_CHANGED)) {
            String id = event.substring(ASSIGNMENT_CHANGED.length());
            assignmentListeners.forEach(l -> l.assignmentChanged(id));
        } else if (event.startsWith(RENTAL_CLOSED)) {
            String name = event.substring(RENTAL_CLOSED.length());
            closedRentalListeners.forEach(l -> l.rentalClosed(name));
        }
    }

    /**
     * What the other hubs said since {@code since} (epoch ms) may not have been heard: the connection that hears
     * them was lost. Tells this hub's listeners of every change it could have said, re-read from the database: the
     * devices of rentals begun, closing or paused since then get their assignment again, and renters lose access to
     * the rentals no longer served. (A missed extension or resumption reaches its device with its next heartbeat.)
     */
    public void mayHaveMissed(long since) {
        long from = since - CLOCK_SKEW_MILLIS;
        List<Sql.Row> rentals = sql.transaction(() -> sql.all(
                "SELECT r.name, r.device_id, r.state, c.paused_since FROM rental r LEFT JOIN channel c"
                        + " ON c.rental = r.name WHERE r.created_at >= ? OR r.ended_at >= ? OR r.state = ?"
                        + " OR (r.state IN (?, ?) AND c.paused_since IS NOT NULL)",
                from,
                from,
                RentalView.ENDING,
                RentalView.PREPARING,
                RentalView.ACTIVE));
        for (Sql.Row r : rentals) {
            String device = r.text("device_id");
            assignmentListeners.forEach(l -> l.assignmentChanged(device));
            boolean served = (r.text("state").equals(RentalView.PREPARING)
                            || r.text("state").equals(RentalView.ACTIVE))
                    && r.isNull("paused_since");
            if (!served) {
                closedRentalListeners.forEach(l -> l.rentalClosed(r.text("name")));
            }
        }
    }

    /** How far the hubs sharing a database may disagree on the time, at most, when asking what changed since. */
    static final long CLOCK_SKEW_MILLIS = 60_000;

    /** A new set of changes, for one transaction. */
    public Changes changes() {
        return new Changes();
    }

    /** What a transaction changed that listeners must hear about once it committed. */
    public final class Changes {
        private final Set<String> devices = new LinkedHashSet<>();
        private final Set<String> closedRentals = new LinkedHashSet<>();

        private Changes() {}

        public void assignmentChanged(String deviceId) {
            devices.add(deviceId);
        }

        public void rentalClosed(String rental) {
            closedRentals.add(rental);
        }

        /** Runs {@code work} in a transaction (or the caller's); this hub's listeners and the other hubs hear once it committed. */
        public <T> T commit(Sql.Work<T> work) {
            return sql.transaction(() -> {
                T r = work.run();
                for (String id : devices) {
                    sql.tellOtherHubs(CHANNEL, ASSIGNMENT_CHANGED + id);
                }
                for (String name : closedRentals) {
                    sql.tellOtherHubs(CHANNEL, RENTAL_CLOSED + name);
                }
                sql.afterCommit(() -> {
                    devices.forEach(id -> assignmentListeners.forEach(l -> l.assignmentChanged(id)));
                    closedRentals.forEach(name -> closedRentalListeners.forEach(l -> l.rentalClosed(name)));
                });
                return r;
            });
        }
    }
}
