package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.ImageResolver;
import dev.drydock.magics.engine.Docker;
import java.util.Optional;

/**
 * Lets {@code %container run train} run the newest image of environment {@code train}. A bare name that no
 * environment has built stays an image name, as the docker CLI reads it; so does anything with a tag,
 * digest or registry.
 */
public final class EnvImageResolver implements ImageResolver {

    private final Docker docker;

    public EnvImageResolver(Docker docker) {
        this.docker = docker;
    }

    @Override
    public String resolve(String nameOrImage, Session session) throws MagicException {
        if (nameOrImage.contains(":") || nameOrImage.contains("/") || nameOrImage.contains("@")) {
            return nameOrImage;
        }
        Optional<Environments.Build> build = new Environments(session, docker.engine(), new ImageBuilder(), null)
                .latest(nameOrImage);
        return build.map(Environments.Build::tag).orElse(nameOrImage);
    }
}
