package io.edgerent.hub.testing;

import io.edgerent.hub.device.Devices;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.HardwareFacts;
import io.edgerent.protocol.Registration;

/** Devices registered as the hub's tests and benchmarks need them: a fresh key, an owner's token, a small Pi's facts. */
public final class TestDevices {
    private TestDevices() {}

    /** Registers a device of {@code owner} with {@code devices}; its ID. */
    public static String register(Devices devices, String owner) {
        return register(devices, devices, owner);
    }

    /** Registers a device of {@code owner} with {@code at}, the token issued by {@code issuer} (another hub, one database). */
    public static String register(Devices at, Devices issuer, String owner) {
        return at.register(
                        new Registration(
                                issuer.issueToken(owner),
                                Ed25519.raw(Ed25519.generate().getPublic()),
                                new HardwareFacts(4, "c", 1, 1, "aarch64", "pi", 1)),
                        2222,
                        "k")
                .deviceId();
    }
}
