package io.edgerent.hub.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.hub.config.HubConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator renews the router's certificate by replacing its files; the hub serves the new one without a restart. */
class TlsIdentityTest {
    @TempDir
    Path dir;

    @Test
    void a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_leaves_the_old_in_force() throws Exception {
        Path a = selfSigned("a.test");
        Path b = selfSigned("b.test");
        Path cert = dir.resolve("hub.crt");
        Path key = dir.resolve("hub.key");
        install(a, cert, key, 1);
        Supplier<SSLContext> tls =
                TlsIdentity.reloading(config("hub.test").tls(cert, key).build(), Duration.ZERO);
        assertTrue(servedName(tls.get()).contains("CN=a.test"), "the operator's first certificate");

        install(b, cert, key, 2);
        assertTrue(servedName(tls.get()).contains("CN=b.test"), "the renewed one, same process");

        Files.writeString(key, "not a key");
        Files.setLastModifiedTime(key, FileTime.fromMillis(System.currentTimeMillis() + 3000));
        assertTrue(servedName(tls.get()).contains("CN=b.test"), "a broken renewal leaves the one in force");
    }

    @Test
    void the_hubs_own_self_signed_certificate_is_kept_across_restarts() throws Exception {
        Files.createDirectories(dir.resolve("hub.test"));
        HubConfig config = config("hub.test").build();
        String first = servedName(TlsIdentity.reloading(config, Duration.ZERO).get());
        String again = servedName(TlsIdentity.reloading(config, Duration.ZERO).get());
        assertEquals(first, again);
    }

    private HubConfig.Builder config(String domain) {
        return HubConfig.builder().dataDir(dir.resolve(domain)).domain(domain);
    }

    /** A self-signed pair for {@code domain}, made the way a hub without the operator's certificate makes its own. */
    private Path selfSigned(String domain) throws Exception {
        Files.createDirectories(dir.resolve(domain));
        TlsIdentity.load(config(domain).build());
        return dir.resolve(domain);
    }

    private static void install(Path pair, Path cert, Path key, int step) throws Exception {
        Files.copy(pair.resolve("tls-self-signed.crt"), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pair.resolve("tls-self-signed.key"), key, StandardCopyOption.REPLACE_EXISTING);
        // File times on some file systems have a coarse grain: make each step's change unmistakable.
        FileTime t = FileTime.fromMillis(System.currentTimeMillis() + step * 1000L);
        Files.setLastModifiedTime(cert, t);
        Files.setLastModifiedTime(key, t);
    }

    /** The subject of the certificate a real TLS handshake with this context presents. */
    private static String servedName(SSLContext server) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket)
                server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.startHandshake();
                    s.getInputStream().read();
                } catch (Exception e) {
                    // the client has what it came for
                }
            });
            SSLContext client = SSLContext.getInstance("TLS");
            client.init(null, new TrustManager[] {new TrustAnything()}, null);
            try (SSLSocket s = (SSLSocket)
                    client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                s.startHandshake();
                X509Certificate served = (X509Certificate) s.getSession().getPeerCertificates()[0];
                return served.getSubjectX500Principal().getName();
            } finally {
                accepted.join();
            }
        }
    }

    /** The test reads the certificate it is shown; it trusts nothing with it. */
    private static final class TrustAnything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
