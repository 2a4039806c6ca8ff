package dev.drydock.magics.aml;

import java.security.SecureRandom;
import java.util.List;

/**
 * Job names as {@code az ml} makes them when the YAML has none: {@code <adjective>_<noun>_<10 characters>},
 * such as {@code calm_lamp_q3x8k2m1zd}. Short word lists: the suffix makes them unique, the words make them
 * easy to say.
 */
public final class JobNames {

    private static final List<String> ADJECTIVES = List.of("amber", "bold", "brave", "bright", "calm", "clever",
            "crisp", "eager", "frank", "gentle", "happy", "honest", "jolly", "keen", "kind", "lively", "loyal",
            "lucid", "mellow", "nimble", "patient", "plucky", "quiet", "quick", "serene", "sharp", "shy", "steady",
            "sunny", "swift", "tidy", "witty");
    private static final List<String> NOUNS = List.of("anchor", "apple", "badger", "basil", "beacon", "cabbage",
            "candle", "comet", "coral", "dinghy", "falcon", "fig", "garden", "harbor", "heron", "kettle", "lamp",
            "lantern", "lemon", "maple", "otter", "pepper", "pier", "quay", "river", "sail", "salmon", "spoon",
            "tomato", "tulip", "walrus", "wharf");
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private JobNames() {}

    public static String generate() {
        StringBuilder name = new StringBuilder();
        name.append(ADJECTIVES.get(RANDOM.nextInt(ADJECTIVES.size()))).append('_')
                .append(NOUNS.get(RANDOM.nextInt(NOUNS.size()))).append('_');
        for (int i = 0; i < 10; i++) {
            name.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return name.toString();
    }
}
