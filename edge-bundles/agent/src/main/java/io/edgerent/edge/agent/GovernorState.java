package io.edgerent.edge.agent;

import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.DeviceState;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.RegistrationAccepted;
import io.edgerent.protocol.RentalOrder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the governor must remember across a restart: its state, its registration, the rental it serves.
 * Saved with {@link DurableFile}, so a crash leaves either the old or the new state, never half.
 */
record GovernorState(DeviceState state, RegistrationAccepted registration, RentalOrder rental) {
    static final GovernorState UNREGISTERED = new GovernorState(DeviceState.UNREGISTERED, null, null);

    GovernorState with(DeviceState next, RentalOrder rental) {
        return new GovernorState(next, registration, rental);
    }

    static GovernorState load(Path file) {
        if (!Files.exists(file)) {
            return UNREGISTERED;
        }
        try {
            Fields f = Cbor.decodeMap(Files.readAllBytes(file));
            Fields reg = f.optionalMap("registration");
            Fields rental = f.optionalMap("rental");
            return new GovernorState(
                    DeviceState.valueOf(f.text("state")),
                    reg == null ? null : registration(reg),
                    rental == null ? null : RentalOrder.from(rental));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the governor state " + file, e);
        }
    }

    /** A registration saved before hubs routed HTTP has no web tunnel port: 0, and the rental serves SSH only. */
    private static RegistrationAccepted registration(Fields reg) {
        return new RegistrationAccepted(
                reg.text("device"),
                (int) reg.integer("sshPort"),
                (int) reg.integer("tunnelPort"),
                reg.has("httpTunnelPort") ? (int) reg.integer("httpTunnelPort") : 0,
                reg.text("hostKey"));
    }

    void save(Path file) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state.name());
        if (registration != null) {
            m.put("registration", registration.toCbor());
        }
        m.put("rental", rental == null ? null : rental.toCbor());
        try {
            DurableFile.write(file, Cbor.encode(m));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the governor state " + file, e);
        }
    }
}
