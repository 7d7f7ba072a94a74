package io.edgerent.protocol;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * OpenSSH wire encodings (RFC 4253 §6.6, RFC 8709, RFC 5656) of Ed25519 keys and signatures, and of
 * the hub's ECDSA P-256 host key, which is also its DTLS raw public key.
 */
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

    public static final String ECDSA_P256 = "ecdsa-sha2-nistp256";

    /** The OpenSSH line {@code ecdsa-sha2-nistp256 AAAA...} of a P-256 key. */
    public static String ecdsaP256Line(PublicKey key) {
        if (!(key instanceof ECPublicKey ec)
                || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new IllegalArgumentException("not an ECDSA P-256 public key: " + key.getAlgorithm());
        }
        byte[] point = new byte[65];
        point[0] = 4;
        copyUnsigned(ec.getW().getAffineX(), point, 1);
        copyUnsigned(ec.getW().getAffineY(), point, 33);
        byte[] blob = strings(
                ECDSA_P256.getBytes(StandardCharsets.US_ASCII), "nistp256".getBytes(StandardCharsets.US_ASCII), point);
        return ECDSA_P256 + " " + Base64.getEncoder().encodeToString(blob);
    }

    /** The P-256 key of an OpenSSH line {@code ecdsa-sha2-nistp256 AAAA... [comment]}. */
    public static PublicKey ecdsaP256Key(String line) {
        String[] fields = line.strip().split("\\s+");
        if (fields.length < 2 || !fields[0].equals(ECDSA_P256)) {
            throw new MalformedMessageException("not an " + ECDSA_P256 + " key line");
        }
        try {
            ByteBuffer blob = ByteBuffer.wrap(Base64.getDecoder().decode(fields[1]));
            if (!ECDSA_P256.equals(string(blob)) || !"nistp256".equals(string(blob))) {
                throw new MalformedMessageException("the key blob is not " + ECDSA_P256);
            }
            byte[] point = new byte[blob.getInt()];
            blob.get(point);
            if (point.length != 65 || point[0] != 4 || blob.hasRemaining()) {
                throw new MalformedMessageException("the key blob does not hold an uncompressed P-256 point");
            }
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            ECPoint w = new ECPoint(
                    new BigInteger(1, Arrays.copyOfRange(point, 1, 33)),
                    new BigInteger(1, Arrays.copyOfRange(point, 33, 65)));
            return KeyFactory.getInstance("EC")
                    .generatePublic(new ECPublicKeySpec(w, parameters.getParameterSpec(ECParameterSpec.class)));
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException | GeneralSecurityException e) {
            throw new MalformedMessageException("not a valid " + ECDSA_P256 + " key: " + e.getMessage());
        }
    }

    private static String string(ByteBuffer blob) {
        int n = blob.getInt();
        if (n < 0 || n > blob.remaining()) {
            throw new MalformedMessageException("a truncated key blob");
        }
        byte[] bytes = new byte[n];
        blob.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** Writes {@code value} as 32 big-endian bytes at {@code offset}. */
    private static void copyUnsigned(BigInteger value, byte[] into, int offset) {
        byte[] bytes = value.toByteArray();
        int from = Math.max(0, bytes.length - 32);
        int n = bytes.length - from;
        System.arraycopy(bytes, from, into, offset + 32 - n, n);
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
