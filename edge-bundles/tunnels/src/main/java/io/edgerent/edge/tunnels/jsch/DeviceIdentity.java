package io.edgerent.edge.tunnels.jsch;

import com.jcraft.jsch.Identity;
import io.edgerent.protocol.Ed25519;
import io.edgerent.protocol.SshKeys;
import java.security.KeyPair;

/** The device's Ed25519 key as JSch needs it; the private key never leaves memory in another form. */
final class DeviceIdentity implements Identity {
    private final String name;
    private final KeyPair key;

    DeviceIdentity(String name, KeyPair key) {
        this.name = name;
        this.key = key;
    }

    @Override
    public boolean setPassphrase(byte[] passphrase) {
        return true;
    }

    @Override
    public byte[] getPublicKeyBlob() {
        return SshKeys.ed25519Blob(Ed25519.raw(key.getPublic()));
    }

    @Override
    public byte[] getSignature(byte[] data) {
        return SshKeys.ed25519Signature(Ed25519.sign(key.getPrivate(), data));
    }

    @Override
    public byte[] getSignature(byte[] data, String algorithm) {
        return getSignature(data);
    }

    @Override
    @Deprecated
    public boolean decrypt() {
        return true;
    }

    @Override
    public String getAlgName() {
        return SshKeys.ED25519;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public boolean isEncrypted() {
        return false;
    }

    @Override
    public void clear() {
        // The key pair belongs to the agent, which keeps it for the device's lifetime.
    }
}
