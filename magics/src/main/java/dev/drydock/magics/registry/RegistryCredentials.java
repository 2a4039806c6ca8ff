package dev.drydock.magics.registry;

import com.github.dockerjava.api.model.AuthConfig;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.engine.DockerConfig;
import dev.drydock.magics.engine.DockerEngine;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry logins of this kernel, in memory only: {@code %docker login} puts them here, pulls and pushes
 * (and {@code %env push}) take them from here first, then from the docker CLI's configuration.
 */
public final class RegistryCredentials {

    /** A login with a token of the kernel's own identity, where the registry takes one (Azure Container Registry). */
    public interface TokenLogin {
        /** Credentials for {@code registry}; empty when it takes no such token. */
        Optional<AuthConfig> login(String registry) throws MagicException;
    }

    /** Where credentials configured outside this kernel come from: the docker CLI's, for the engine's push. */
    public interface Configured {
        Optional<AuthConfig> forImage(String image) throws MagicException;
    }

    private final Map<String, AuthConfig> logins = new ConcurrentHashMap<>();
    private final TokenLogin tokenLogin;

    public RegistryCredentials() {
        this(registry -> Optional.empty());
    }

    public RegistryCredentials(TokenLogin tokenLogin) {
        this.tokenLogin = tokenLogin;
    }

    /** Keeps a login for its registry, replacing an earlier one. */
    public void remember(AuthConfig auth) {
        logins.put(DockerConfig.normalizeRegistry(auth.getRegistryAddress()), auth);
    }

    public boolean forget(String registry) {
        return logins.remove(DockerConfig.normalizeRegistry(registry)) != null;
    }

    /**
     * The credentials for the registry an image lives in: this kernel's login, else the docker CLI's, else a
     * token login of the kernel's identity (an Azure AD token for {@code *.azurecr.io}).
     */
    public Optional<AuthConfig> forImage(String image, DockerEngine engine) throws MagicException {
        return resolve(image, i -> engine.credentialsForImage(i));
    }

    /** {@link #forImage} with the configured credentials looked up by {@code configured}. */
    public Optional<AuthConfig> resolve(String image, Configured configured) throws MagicException {
        String registry = DockerConfig.registryOf(image);
        AuthConfig login = logins.get(registry);
        if (login != null) {
            return Optional.of(login);
        }
        Optional<AuthConfig> found = configured.forImage(image);
        return found.isPresent() ? found : tokenLogin.login(registry);
    }
}
