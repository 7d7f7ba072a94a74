package io.edgerent.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** Ed25519 keys as the protocol carries them: a public key is its 32 raw bytes. */
public final class Ed25519 {
    /**
     * The key pair kept in {@code dir} as {@code NAME.key} (PKCS#8, readable by its owner only) and
     * {@code NAME.pub} (raw), made on first use, when {@code dir} is made (or kept) for its owner only. The
     * private half appears whole or not at all, so a crash while making it leaves no half key.
     */
    public static KeyPair loadOrCreate(Path dir, String name) {
        Path privateFile = dir.resolve(name + ".key");
        Path publicFile = dir.resolve(name + ".pub");
        try {
            if (!Files.exists(privateFile)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                KeyPair pair = generate();
                Files.write(publicFile, raw(pair.getPublic()));
                Path tmp = Files.createTempFile(
                        dir,
                        name,
                        ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(tmp, pair.getPrivate().getEncoded());
                Files.move(tmp, privateFile, StandardCopyOption.ATOMIC_MOVE);
            }
            return new KeyPair(publicKey(Files.readAllBytes(publicFile)), privateKey(Files.readAllBytes(privateFile)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the " + name + " key in " + dir, e);
        }
    }

    /** The DER prefix of an X.509 SubjectPublicKeyInfo holding an Ed25519 key (RFC 8410). */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    public static final int PUBLIC_KEY_BYTES = 32;

    private Ed25519() {}

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519", e);
        }
    }

    public static byte[] raw(PublicKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded.length != X509_PREFIX.length + PUBLIC_KEY_BYTES
                || !Arrays.equals(encoded, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
        }
        return Arrays.copyOfRange(encoded, X509_PREFIX.length, encoded.length);
    }

    public static PublicKey publicKey(byte[] raw) {
        if (raw == null || raw.length != PUBLIC_KEY_BYTES) {
            throw new MalformedMessageException("an Ed25519 public key has " + PUBLIC_KEY_BYTES + " bytes");
        }
        byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + PUBLIC_KEY_BYTES);
        System.arraycopy(raw, 0, encoded, X509_PREFIX.length, PUBLIC_KEY_BYTES);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new MalformedMessageException("invalid Ed25519 public key");
        }
    }

    /** Reads a private key stored in PKCS#8 form and derives nothing: the caller keeps the public half. */
    public static PrivateKey privateKey(byte[] pkcs8) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 private key in PKCS#8 form", e);
        }
    }

    /** Signs with Bouncy Castle's Ed25519 (RFC 8032); the key is a JDK key, its 32-byte seed taken from PKCS#8. */
    public static byte[] sign(PrivateKey key, byte[] message) {
        byte[] pkcs8 = key.getEncoded();
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, new Ed25519PrivateKeyParameters(pkcs8, pkcs8.length - Ed25519PrivateKeyParameters.KEY_SIZE));
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    public static boolean verify(byte[] rawPublicKey, byte[] message, byte[] signature) {
        if (rawPublicKey == null
                || rawPublicKey.length != PUBLIC_KEY_BYTES
                || signature == null
                || signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(rawPublicKey, 0));
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }
}
