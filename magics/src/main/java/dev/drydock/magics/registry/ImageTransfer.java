package dev.drydock.magics.registry;

import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.command.PushImageCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.PushResponseItem;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.engine.DockerConfig;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import dev.drydock.magics.render.LiveDisplay;
import java.util.List;
import java.util.Optional;

/**
 * Pulls and pushes images with the registry's credentials and one live layer display: the service
 * behind {@code %docker pull|push}, {@code %env build} (its base), {@code %env push} and {@code %aml}'s
 * local environments, so none of them calls a command class.
 */
public final class ImageTransfer {

    private ImageTransfer() {}

    /** {@code name:tag} or {@code name@digest} split as the engine's pull and push take it. */
    public record Reference(String repository, String tag) {
        public static Reference parse(String image) {
            if (image.contains("@")) {
                return new Reference(image, null);
            }
            int slash = image.lastIndexOf('/');
            int colon = image.lastIndexOf(':');
            return colon > slash ? new Reference(image.substring(0, colon), image.substring(colon + 1))
                    : new Reference(image, "latest");
        }

        @Override
        public String toString() {
            return tag == null ? repository : repository + ":" + tag;
        }
    }

    /** Pulls {@code image}; an error reported inside the stream is a {@link MagicException}. */
    public static void pull(DockerEngine engine, RegistryCredentials credentials, String image, Notebook notebook)
            throws MagicException {
        Reference reference = Reference.parse(image);
        PullImageCmd pull = engine.client().pullImageCmd(reference.repository());
        if (reference.tag() != null) {
            pull.withTag(reference.tag());
        }
        credentials.forImage(image, engine).ifPresent(pull::withAuthConfig);
        try (LiveDisplay display = new LiveDisplay(notebook, "drydock-pull")) {
            LayerProgress<PullResponseItem> progress = new LayerProgress<>(display, "Pulling " + reference);
            stream(() -> pull.exec(progress), progress, notebook, "Pulling " + reference);
        }
    }

    /** Pushes {@code image}; an error reported inside the stream is a {@link MagicException}. */
    public static void push(DockerEngine engine, RegistryCredentials credentials, String image, Notebook notebook)
            throws MagicException {
        Reference reference = Reference.parse(image);
        PushImageCmd push = engine.client().pushImageCmd(reference.repository());
        if (reference.tag() != null) {
            push.withTag(reference.tag());
        }
        Optional<AuthConfig> auth = credentials.forImage(image, engine);
        // Without credentials docker-java would send its own placeholder; an empty one is anonymous.
        push.withAuthConfig(auth.orElseGet(() -> new AuthConfig()
                .withRegistryAddress(DockerConfig.registryOf(image))));
        try (LiveDisplay display = new LiveDisplay(notebook, "drydock-push")) {
            LayerProgress<PushResponseItem> progress = new LayerProgress<>(display, "Pushing " + reference);
            stream(() -> push.exec(progress), progress, notebook, "Pushing " + reference);
        }
    }

    private interface Start {
        void exec();
    }

    private static void stream(Start start, LayerProgress<?> progress, Notebook notebook, String what)
            throws MagicException {
        try {
            start.exec();
            DockerEngine.await(progress, notebook.cancellation());
        } catch (DockerException e) {
            throw new MagicException(MagicException.Kind.MagicError, what + " failed: " + EngineErrors.message(e) + hint(
                    EngineErrors.message(e)), e);
        } finally {
            progress.finish();
        }
        List<String> errors = progress.errors();
        if (!errors.isEmpty()) {
            String message = String.join("; ", errors);
            throw MagicException.failed(what + " failed: " + message + hint(message));
        }
    }

    private static String hint(String message) {
        return message.contains("unauthorized") || message.contains("no basic auth credentials")
                || message.contains("authentication required")
                ? ". Log in first: %docker login REGISTRY (with the credentials loaded by %dotenv)." : "";
    }
}
