package io.edgerent.hub.rental;

import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.Template;

/** A rental's row as the rules and the renters' views read it, by column name in one place. */
record RentalRow(
        String name,
        String deviceId,
        String state,
        long endsAt,
        byte[] renterKey,
        long httpBytesOut,
        Template template) {
    static final String COLUMNS = "name, device_id, state, ends_at, renter_key, http_bytes_out, template";

    static RentalRow of(Sql.Row r) {
        return new RentalRow(
                r.text("name"),
                r.text("device_id"),
                r.text("state"),
                r.integer("ends_at"),
                r.bytes("renter_key"),
                r.integer("http_bytes_out"),
                Template.parse(r.text("template")));
    }
}
