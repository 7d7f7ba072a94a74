package io.edgerent.protocol;

import java.util.List;

/**
 * A device's word for which hub is its home: its Ed25519 signature over CBOR
 * {@code ["edgerent-home-v1", deviceId, hubKey]}, the hub key as an OpenSSH line (normalised, so a comment or
 * spacing changes nothing). The home hub stores it and passes it on with its listings; a linked hub shows a device
 * only when its proof names the hub that listed it, so no hub can list another's devices.
 */
public record HomeProof(byte[] deviceKey, byte[] signature) {
    private static final String CONTEXT = "edgerent-home-v1";

    public static byte[] sign(java.security.KeyPair device, String deviceId, String hubKey) {
        return Ed25519.sign(device.getPrivate(), signedBytes(deviceId, hubKey));
    }

    /** Whether this proof, by the device key it carries, names {@code hubKey} as the home of {@code deviceId}. */
    public boolean names(String deviceId, String hubKey) {
        try {
            return Ed25519.verify(deviceKey, signedBytes(deviceId, hubKey), signature);
        } catch (RuntimeException malformed) {
            return false;
        }
    }

    private static byte[] signedBytes(String deviceId, String hubKey) {
        return Cbor.encode(List.of(CONTEXT, deviceId, SshKeys.ecdsaP256Line(SshKeys.ecdsaP256Key(hubKey))));
    }
}
