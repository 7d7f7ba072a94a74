package io.edgerent.hub.rental;

import static io.edgerent.protocol.RentalView.ENDED;
import static io.edgerent.protocol.RentalView.ENDING;

import io.edgerent.hub.device.Devices;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.WipeRecord;
import java.time.Clock;
import java.util.List;

/** The records devices sign of how they erased an ended rental, for its renter and its owner. */
public final class Wipes {
    private final Sql sql;
    private final Clock clock;
    private final Devices devices;
    private final Rentals rentals;

    public Wipes(Sql sql, Clock clock, Devices devices, Rentals rentals) {
        this.sql = sql;
        this.clock = clock;
        this.devices = devices;
        this.rentals = rentals;
    }

    /**
     * Stores the record of a device's wipe of a rental it served that has ended or is ending. The
     * first record stands: sending it again (the device did not see the answer) changes nothing.
     */
    public void recordWipe(String deviceId, byte[] signerKey, WipeRecord wipe) {
        sql.transaction(() -> {
            devices.requireKey(deviceId, signerKey, "wipe records");
            Sql.Row rental = sql.one("SELECT device_id, state FROM rental WHERE name = ?", wipe.rental())
                    .orElseThrow(() ->
                            new RefusedException(ErrorCode.NOT_FOUND, "no rental " + wipe.rental() + " on this hub"));
            if (!rental.text("device_id").equals(deviceId)) {
                throw new RefusedException(
                        ErrorCode.FORBIDDEN, "rental " + wipe.rental() + " was not served by " + deviceId);
            }
            String state = rental.text("state");
            if (!state.equals(ENDING) && !state.equals(ENDED)) {
                throw new RefusedException(ErrorCode.CONFLICT, "rental " + wipe.rental() + " has not ended");
            }
            if (sql.one("SELECT rental FROM wipe WHERE rental = ?", wipe.rental())
                    .isEmpty()) {
                sql.update(
                        "INSERT INTO wipe(rental, device_id, verified, record, received_at) VALUES (?, ?, ?, ?, ?)",
                        wipe.rental(),
                        deviceId,
                        wipe.verified(),
                        wipe.encode(),
                        clock.millis());
            }
            return null;
        });
    }

    /** The wipe record of one of the renter's rentals. */
    public WipeRecord wipeOf(byte[] renterKey, String name) {
        return sql.transaction(() -> {
            rentals.requireRenter(renterKey, name);
            return sql.one("SELECT record FROM wipe WHERE rental = ?", name)
                    .map(r -> WipeRecord.decode(r.bytes(1)))
                    .orElseThrow(() -> new RefusedException(
                            ErrorCode.NOT_FOUND,
                            "no wipe record for " + name + " yet: the device sends it"
                                    + " once the rental has ended and its storage is erased"));
        });
    }

    /** The latest wipe records of an owner's devices, newest first. */
    public List<WipeRecord> wipesOf(String owner, int limit) {
        return sql.transaction(() -> sql
                .all(
                        "SELECT w.record FROM wipe w JOIN device d ON d.id = w.device_id WHERE d.owner = ?"
                                + " ORDER BY w.received_at DESC LIMIT ?",
                        owner,
                        limit)
                .stream()
                .map(r -> WipeRecord.decode(r.bytes(1)))
                .toList());
    }
}
