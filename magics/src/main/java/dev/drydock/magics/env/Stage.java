package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The lifecycle stage an environment serves; each has its own Dockerfile template under {@code docker/}. */
public enum Stage {
    EO, TRAIN, SCORE;

    /** The name as written in magics, labels and {@code environments.yml}: {@code eo}, {@code train}, {@code score}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Stage parse(String text) throws MagicException {
        for (Stage stage : values()) {
            if (stage.label().equalsIgnoreCase(text.strip())) {
                return stage;
            }
        }
        throw MagicException.usage("Unknown stage '" + text + "': use one of "
                + Arrays.stream(values()).map(Stage::label).collect(Collectors.joining(", ")) + ".");
    }
}
