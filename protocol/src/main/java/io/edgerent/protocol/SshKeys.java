package io.edgerent.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** OpenSSH wire encodings (RFC 4253 §6.6, RFC 8709) of Ed25519 keys and signatures. */
public final class SshKeys {
    public static final String ED25519 = "ssh-ed25519";

    private SshKeys() {}

    /** The key blob a client presents: string "ssh-ed25519", string key. */
    public static byte[] ed25519Blob(byte[] rawPublicKey) {
        return strings(ED25519.getBytes(StandardCharsets.US_ASCII), rawPublicKey);
    }

    /** The authorized_keys form, {@code ssh-ed25519 AAAA...}. */
    public static String ed25519AuthorizedKey(byte[] rawPublicKey) {
        return ED25519 + " " + Base64.getEncoder().encodeToString(ed25519Blob(rawPublicKey));
    }

    /** The signature blob: string "ssh-ed25519", string signature. */
    public static byte[] ed25519Signature(byte[] signature) {
        return strings(ED25519.getBytes(StandardCharsets.US_ASCII), signature);
    }

    private static byte[] strings(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            int n = part.length;
            out.write(n >>> 24);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
