package dev.drydock.magics.container;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;

/**
 * Turns what a person typed where {@code %container run} and {@code %container jupyter} take an image
 * into the image reference to run. The seam for {@code %env}: an environment's name resolves to the image
 * it built. {@code Magics} passes the first service of this type to the container commands.
 */
public interface ImageResolver {

    /** The name is an image reference as the docker CLI takes it; no environments. */
    ImageResolver IMAGE_NAMES = (nameOrImage, session) -> nameOrImage;

    /** The image reference for {@code nameOrImage}: an image reference as it is, or an environment's image. */
    String resolve(String nameOrImage, Session session) throws MagicException;
}
