package io.edgerent.protocol;

/** The governor's states, in the order a device passes through them. */
public enum DeviceState {
    UNREGISTERED,
    LISTED,
    PREPARING,
    RENTED,
    WIPING;

    static DeviceState parse(String text) {
        try {
            return valueOf(text);
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException("unknown device state '" + text + "'");
        }
    }
}
