package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The lifecycle stage an environment serves; each has its own Dockerfile template under {@code docker/}.
 * The source documents' names are aliases: {@code e13n} (training), {@code ss} (scoring-script development),
 * {@code o16n} (operationalization: the slim serving image).
 */
public enum Stage {
    EO(List.of()), TRAIN(List.of("e13n")), SCORE(List.of("ss")), DEPLOY(List.of("o16n"));

    private final List<String> aliases;

    Stage(List<String> aliases) {
        this.aliases = aliases;
    }

    /** The name as written in labels and templates: {@code eo}, {@code train}, {@code score}, {@code deploy}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Stage parse(String text) throws MagicException {
        String wanted = text.strip().toLowerCase(Locale.ROOT);
        for (Stage stage : values()) {
            if (stage.label().equals(wanted) || stage.aliases.contains(wanted)) {
                return stage;
            }
        }
        throw MagicException.usage("Unknown stage '" + text + "': use one of " + Arrays.stream(values())
                .map(s -> s.aliases.isEmpty() ? s.label() : s.label() + " (" + String.join(", ", s.aliases) + ")")
                .collect(Collectors.joining(", ")) + ".");
    }
}
