package dev.drydock.magics.registry;

import com.github.dockerjava.api.model.AuthConfig;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.docker.DockerConfig;
import dev.drydock.magics.docker.DockerEngine;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry logins of this kernel, in memory only: {@code %docker login} puts them here, pulls and pushes
 * (and {@code %env push}) take them from here first, then from the docker CLI's configuration.
 */
public final class RegistryCredentials {

    private final Map<String, AuthConfig> logins = new ConcurrentHashMap<>();

    /** Keeps a login for its registry, replacing an earlier one. */
    public void remember(AuthConfig auth) {
        logins.put(DockerConfig.normalizeRegistry(auth.getRegistryAddress()), auth);
    }

    public boolean forget(String registry) {
        return logins.remove(DockerConfig.normalizeRegistry(registry)) != null;
    }

    /** The credentials for the registry an image lives in: this kernel's login, else the docker CLI's. */
    public Optional<AuthConfig> forImage(String image, DockerEngine engine) throws MagicException {
        AuthConfig login = logins.get(DockerConfig.registryOf(image));
        return login != null ? Optional.of(login) : engine.credentialsForImage(image);
    }
}
