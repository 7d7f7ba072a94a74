package io.edgerent.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AssignmentVersionTest {
    @Test
    void a_notification_is_a_few_bytes_whatever_the_order() {
        RentalOrder order = new RentalOrder(
                "r-000000000001",
                Template.FILES,
                List.of("ssh-rsa " + "A".repeat(700)),
                1_800_000_000_000L,
                false,
                "0".repeat(64));
        byte[] full = new Assignment(7, order).encode();
        byte[] announced = new AssignmentVersion(7).encode();
        assertEquals(7, AssignmentVersion.decode(announced).version());
        assertTrue(announced.length < 24, "a notification of " + announced.length + " bytes");
        assertTrue(full.length > 800, "the order itself is read once, with a GET: " + full.length + " bytes");
    }

    @Test
    void what_is_not_a_version_is_refused() {
        // An assignment, not its version: an agent that mistook one for the other must fail loudly, not read
        // "unrented".
        assertThrows(MalformedMessageException.class, () -> AssignmentVersion.decode(new Assignment(3, null).encode()));
        assertThrows(
                MalformedMessageException.class,
                () -> AssignmentVersion.decode(Cbor.encode(Map.of("assignmentVersion", -1))));
        assertThrows(
                MalformedMessageException.class,
                () -> AssignmentVersion.decode(Cbor.encode(Map.of("assignmentVersion", "7"))));
        assertThrows(MalformedMessageException.class, () -> AssignmentVersion.decode(new byte[] {(byte) 0xa1, 0x61}));
        assertThrows(MalformedMessageException.class, () -> Assignment.decode(new AssignmentVersion(3).encode()));
    }
}
