package dev.drydock.magics;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which variable names hold secrets by their name alone. A {@code .env} mixes secrets with settings (user
 * names, hosts, subscription and workspace names); masking settings hides which account a failed login used
 * and breaks Azure ML Studio links, so only names that say "secret" are masked, plus what the user marks with
 * {@code --secret}.
 *
 * <p>Parts that are secret wherever they appear in the name: {@code PASSWORD}, {@code PASSWD},
 * {@code SECRET}, {@code TOKEN}, {@code CREDENTIAL}, {@code CONNECTION_STRING}, {@code PRIVATE}. Parts that
 * must be a whole word (split at {@code _}, {@code -}, {@code .} and lower-to-upper case changes), since as a
 * substring they are in ordinary words: {@code KEY}/{@code KEYS} ({@code API_KEY}, {@code ACCOUNT_KEY},
 * {@code apiKey}, not {@code KEYBOARD_LAYOUT}, {@code MONKEY}), {@code PWD}, {@code AUTH} (not
 * {@code AUTHOR}), {@code SAS} (not {@code KANSAS}), {@code CERT}/{@code CERTS}/{@code CERTIFICATE}.
 */
public final class SecretNames {

    private static final Set<String> ANYWHERE = Set.of("PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL",
            "CONNECTIONSTRING", "PRIVATE");
    private static final Set<String> WORDS = Set.of("KEY", "KEYS", "PWD", "AUTH", "SAS", "CERT", "CERTS",
            "CERTIFICATE", "CERTIFICATES");
    private static final Pattern WORD_BREAK = Pattern.compile("[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])");

    private SecretNames() {}

    /** Whether a variable of this name is a secret unless the user says otherwise. */
    public static boolean isSecret(String name) {
        String[] words = WORD_BREAK.split(name);
        String joined = String.join("", words).toUpperCase(Locale.ROOT);
        if (ANYWHERE.stream().anyMatch(joined::contains)) {
            return true;
        }
        return Arrays.stream(words).map(w -> w.toUpperCase(Locale.ROOT)).anyMatch(WORDS::contains);
    }
}
