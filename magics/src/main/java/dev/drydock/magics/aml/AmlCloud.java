package dev.drydock.magics.aml;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Which Azure cloud {@code %aml} talks to and whom it trusts. The clouds are the ones {@code az cloud list}
 * names; {@value AmlHttp#ENDPOINT_VARIABLE} points elsewhere (an Azure Stack hub, a test server), and the
 * token's scope always follows the endpoint ({@code <endpoint>/.default}). {@value #CA_BUNDLE}, as for
 * {@code az} (Python requests), names a PEM bundle that replaces the JDK's trusted CAs, for networks whose
 * proxy inspects TLS with a corporate CA.
 */
enum AmlCloud {
    AzureCloud("https://management.azure.com", "https://login.microsoftonline.com/"),
    AzureUSGovernment("https://management.usgovcloudapi.net", "https://login.microsoftonline.us/"),
    AzureChinaCloud("https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn/");

    static final String CA_BUNDLE = "REQUESTS_CA_BUNDLE";

    final String resourceManager;
    final String authority;

    AmlCloud(String resourceManager, String authority) {
        this.resourceManager = resourceManager;
        this.authority = authority;
    }

    /**
     * The cloud {@code %aml workspace --cloud} chose for a session: one per session, so every client of Azure
     * (the REST client, the ACR token exchange) asks for tokens of the same cloud.
     */
    static final class Chosen implements AutoCloseable {
        volatile AmlCloud cloud;

        static Chosen of(Session session) {
            return session.shared(Chosen.class, Chosen::new);
        }

        @Override
        public void close() {}
    }

    /**
     * The session's Azure Resource Manager: the cloud {@code %aml workspace --cloud} chose, else
     * {@value AmlHttp#ENDPOINT_VARIABLE}, else the public cloud's.
     */
    static String resourceManager(Session session) {
        AmlCloud chosen = Chosen.of(session).cloud;
        return chosen != null ? chosen.resourceManager : session.variable(AmlHttp.ENDPOINT_VARIABLE)
                .filter(v -> !v.isBlank()).orElse(AmlHttp.PUBLIC_ENDPOINT);
    }

    /** The cloud by its {@code az cloud} name, case-insensitively. */
    static AmlCloud named(String name) throws MagicException {
        for (AmlCloud cloud : values()) {
            if (cloud.name().toLowerCase(Locale.ROOT).equals(name.strip().toLowerCase(Locale.ROOT))) {
                return cloud;
            }
        }
        throw MagicException.usage("--cloud " + name + " is not one of AzureCloud, AzureUSGovernment,"
                + " AzureChinaCloud; for another cloud set " + AmlHttp.ENDPOINT_VARIABLE + " to its Resource Manager"
                + " endpoint.");
    }

    /** The cloud whose Resource Manager is at {@code endpoint}, for its sign-in authority; empty for others. */
    static Optional<AmlCloud> at(String endpoint) {
        for (AmlCloud cloud : values()) {
            if (cloud.resourceManager.equalsIgnoreCase(endpoint)) {
                return Optional.of(cloud);
            }
        }
        return Optional.empty();
    }

    /** The token scope for a Resource Manager endpoint, as {@code az} derives it. */
    static String scope(String endpoint) {
        return (endpoint.endsWith("/") ? endpoint : endpoint + "/") + ".default";
    }

    /** The HTTP client of a session: the JDK's, trusting {@value #CA_BUNDLE}'s certificates when it is set. */
    static HttpClient httpClient(Session session) {
        Optional<String> bundle = session.variable(CA_BUNDLE).filter(v -> !v.isBlank());
        if (bundle.isEmpty()) {
            return HttpClient.createDefault();
        }
        return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(trusting(
                session.resolve(bundle.get())))).build();
    }

    /** An SSL context trusting exactly the certificates of a PEM bundle. */
    static SSLContext trusting(Path bundle) {
        try (InputStream in = Files.newInputStream(bundle)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            if (i == 0) {
                throw new IllegalArgumentException(CA_BUNDLE + " is " + bundle + ", which holds no PEM certificate");
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(CA_BUNDLE + " is " + bundle + ", which could not be read as a PEM"
                    + " certificate bundle: " + e.getMessage(), e);
        }
    }
}
