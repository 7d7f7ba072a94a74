package io.edgerent.hub.identity;

import io.edgerent.hub.config.HubConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS router's certificate: the operator's PEM files, or a self-signed one for
 * {@code *.DOMAIN} and {@code *.localhost}, made once and kept in the data directory so browsers'
 * exceptions for it stay valid across restarts.
 */
public final class TlsIdentity {
    private TlsIdentity() {}

    private static final Logger LOG = LoggerFactory.getLogger(TlsIdentity.class);

    /** The certificate and key made in the data directory when the operator gives none (--tls-cert). */
    public static final String SELF_SIGNED_CERTIFICATE = "tls-self-signed.crt";

    public static final String SELF_SIGNED_KEY = "tls-self-signed.key";

    /**
     * The router's TLS context, loaded again when the operator's certificate or key file changes (a renewal needs no
     * restart; connections already open keep the context they began with). Files are looked at no more often than
     * every {@code every}; a pair that does not load (half written, key and certificate apart) leaves the context in
     * force and is said once, and tried again when the files change again.
     */
    public static Supplier<SSLContext> reloading(HubConfig config, Duration every) {
        SSLContext first = load(config);
        if (config.tlsCertificate() == null) {
            return () -> first; // the hub's own self-signed certificate: nobody renews it
        }
        List<Path> files = List.of(config.tlsCertificate(), config.tlsKey());
        return new Supplier<>() {
            private SSLContext current = first;
            private List<FileTime> seen = modified(files);
            private long nextLook = System.nanoTime() + every.toNanos();

            @Override
            public synchronized SSLContext get() {
                if (System.nanoTime() - nextLook >= 0) {
                    nextLook = System.nanoTime() + every.toNanos();
                    List<FileTime> now = modified(files);
                    if (!now.equals(seen)) {
                        seen = now;
                        try {
                            current = load(config);
                            LOG.info("the TLS certificate {} changed: new connections use it", files.get(0));
                        } catch (RuntimeException e) {
                            LOG.warn(
                                    "the TLS certificate changed but cannot be used, the one before stays: {}",
                                    e.getMessage());
                        }
                    }
                }
                return current;
            }
        };
    }

    private static List<FileTime> modified(List<Path> files) {
        List<FileTime> times = new ArrayList<>();
        for (Path f : files) {
            try {
                times.add(Files.getLastModifiedTime(f));
            } catch (IOException e) {
                times.add(FileTime.fromMillis(0));
            }
        }
        return times;
    }

    public static SSLContext load(HubConfig config) {
        Path cert = config.tlsCertificate();
        Path key = config.tlsKey();
        if (cert == null) {
            cert = config.dataDir().resolve(SELF_SIGNED_CERTIFICATE);
            key = config.dataDir().resolve(SELF_SIGNED_KEY);
            if (!Files.exists(cert) || !Files.exists(key)) {
                selfSign(config.domain(), cert, key);
            }
        }
        try {
            List<? extends Certificate> chain = readCertificates(cert);
            PrivateKey privateKey = readKey(key);
            requireMatch(privateKey, (X509Certificate) chain.get(0), cert, key);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] inMemoryOnly = "router".toCharArray();
            store.setKeyEntry("router", privateKey, inMemoryOnly, chain.toArray(Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, inMemoryOnly);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(
                    "cannot use the TLS certificate " + cert + " with key " + key + ": " + e.getMessage(), e);
        }
    }

    private static List<? extends Certificate> readCertificates(Path file)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            List<? extends Certificate> chain =
                    List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (chain.isEmpty()) {
                throw new GeneralSecurityException("no PEM certificate in " + file);
            }
            return chain;
        }
    }

    private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        PrivateKeyInfo info;
        try (Reader in = Files.newBufferedReader(file);
                PEMParser pem = new PEMParser(in)) {
            Object o = pem.readObject();
            if (o instanceof PEMKeyPair pair) {
                info = pair.getPrivateKeyInfo();
            } else if (o instanceof PrivateKeyInfo plain) {
                info = plain;
            } else {
                throw new IOException("no unencrypted PEM private key in " + file
                        + " (an encrypted key must be decrypted first," + " e.g. openssl pkey -in KEY -out PLAIN)");
            }
        }
        // The JDK's own key types, which its TLS implementation takes without surprises.
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(info.getEncoded());
        try {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        } catch (InvalidKeySpecException notEc) {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        }
    }

    /** Signs and verifies a probe, so a key that does not belong to the certificate is refused at start. */
    private static void requireMatch(PrivateKey key, X509Certificate cert, Path certFile, Path keyFile)
            throws GeneralSecurityException {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] probe = "edgerent".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(cert.getPublicKey());
        verifier.update(probe);
        if (!verifier.verify(signature)) {
            throw new GeneralSecurityException(
                    "the key " + keyFile + " does not belong to the certificate " + certFile);
        }
    }

    private static void selfSign(String domain, Path certFile, Path keyFile) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            X500Name subject = new X500Name("CN=" + domain + ", O=edgerent hub (self-signed)");
            Instant now = Instant.now();
            var builder = new JcaX509v3CertificateBuilder(
                    subject,
                    new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(3650))),
                    subject,
                    pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, domain), new GeneralName(GeneralName.dNSName, "*." + domain),
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.dNSName, "*.localhost")
            }));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            Path tmpKey = Files.createTempFile(
                    keyFile.getParent(),
                    "tls",
                    ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            writePem(tmpKey, new JcaPKCS8Generator(pair.getPrivate(), null)); // PKCS#8 keeps the curve's name
            Files.move(
                    tmpKey,
                    keyFile,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Path tmpCert = Files.createTempFile(certFile.getParent(), "tls", ".tmp");
            writePem(tmpCert, cert);
            Files.move(
                    tmpCert,
                    certFile,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a self-signed TLS certificate: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the self-signed TLS certificate " + certFile, e);
        }
    }

    private static void writePem(Path file, Object object) throws IOException {
        try (Writer out = Files.newBufferedWriter(file);
                JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(object);
        }
    }
}
