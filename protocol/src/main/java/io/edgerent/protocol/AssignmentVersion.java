package io.edgerent.protocol;

import java.util.Map;

/**
 * What a device observes: the version of its assignment, which grows with every change. A notification
 * carries only this; the device then GETs the assignment itself. So the hub keeps a few bytes per
 * observing device, whatever the rental's keys and template, not the whole order for as long as it observes.
 */
public record AssignmentVersion(long version) {
    public byte[] encode() {
        return Cbor.encode(Map.of("assignmentVersion", version));
    }

    public static AssignmentVersion decode(byte[] payload) {
        return new AssignmentVersion(Cbor.decodeMap(payload).integer("assignmentVersion", 0, Long.MAX_VALUE));
    }
}
