package dev.drydock.magics.aml;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.HttpClient;
import com.azure.core.util.Configuration;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.CredentialUnavailableException;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.util.Map;
import java.util.Optional;

/**
 * The Azure credential of {@code %aml}: azure-identity's {@code DefaultAzureCredential} (service principal
 * from the variables, workload or managed identity on Azure compute, Azure CLI login, …), reading the
 * {@code AZURE_*} variables from the session as well as the process, so a {@code %dotenv} with
 * {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID} and {@code AZURE_CLIENT_SECRET} is enough.
 */
final class AmlCredentials {

    private AmlCredentials() {}

    static TokenCredential forSession(Session session) {
        return forSession(session, Optional.empty(), null);
    }

    /**
     * @param authority the cloud's sign-in authority; empty for AZURE_AUTHORITY_HOST or the public cloud's
     * @param transport the session's HTTP client (its CA bundle), null for azure-identity's own
     */
    static TokenCredential forSession(Session session, Optional<String> authority, HttpClient transport) {
        Map<String, String> variables = session.subprocessEnvironment();
        ConfigurationSource none = source -> Map.of();
        ConfigurationSource environment = source -> variables;
        Configuration configuration = new ConfigurationBuilder(none, none, environment).build();
        DefaultAzureCredentialBuilder builder = new DefaultAzureCredentialBuilder().configuration(configuration);
        authority.ifPresent(builder::authorityHost);
        if (transport != null) {
            builder.httpClient(transport);
        }
        return builder.build();
    }

    /**
     * The notebook's message when {@code failure} (or one of its causes) is a credential that could not
     * give a token; empty for any other failure.
     */
    static Optional<MagicException> explain(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CredentialUnavailableException || t instanceof ClientAuthenticationException) {
                return Optional.of(new MagicException(MagicException.Kind.MagicError, message(t), failure));
            }
        }
        return Optional.empty();
    }

    static String message(Throwable cause) {
        // Every credential of the chain unavailable means none is set up: naming the last one tried (managed
        // identity) would send the person looking for one.
        boolean none = cause instanceof CredentialUnavailableException;
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : firstLine(cause.getMessage());
        String opening = none ? "No Azure credential is set up here: no Azure CLI login, no service principal in the"
                + " variables, no managed identity. Sign in"
                : "The Azure credential could not give a token for Azure Resource Manager ("
                        + detail.replaceAll("[.\\s]+$", "") + "). Sign in";
        return opening + " with `az login` (the Azure CLI's login is used; run it again if it has expired), or set a"
                + " service principal in the variables AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET"
                + " (for example in a .env loaded with %dotenv), or run on Azure compute with a managed identity."
                + " The identity needs access to the workspace (for example the AzureML Data Scientist role).";
    }

    private static String firstLine(String text) {
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }
}
