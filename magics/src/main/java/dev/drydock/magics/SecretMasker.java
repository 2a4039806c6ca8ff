package dev.drydock.magics;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Replaces every known secret value with {@code ****}. Thread-safe: output from any thread passes here.
 *
 * <p>Rules a reader of masked output can rely on:
 * <ul>
 *   <li>Values shorter than {@value #MIN_LENGTH} characters are not masked. A {@code .env} often holds
 *       {@code DEBUG=1} or {@code PORT=80}; masking every {@code 1} or {@code 80} in every output would
 *       wreck tables, counters and stack traces while protecting nothing worth protecting.
 *   <li>Every occurrence of every secret is found first and the covered characters are then replaced
 *       together, so secrets that contain or overlap each other ({@code pass} and {@code password1})
 *       are masked completely; one run of covered characters becomes one {@code ****}.
 *   <li>Besides the value itself, its URL-encoded form is masked when it differs (a secret in a
 *       connection string or query parameter). Other encodings (base64 and the like) are not.
 *   <li>Text split between two calls is masked per call: callers that stream output should pass whole
 *       lines or whole chunks as the source produced them.
 * </ul>
 */
public final class SecretMasker {

    /** The shortest value that is masked; see the class comment for why short values are left alone. */
    public static final int MIN_LENGTH = 4;

    private static final String MASK = "****";

    /** The number of secret occurrences replaced, for callers that report it ("masked 2 values"). */
    public record Masked(String text, int count) {}

    // Copy-on-write: masking (hot, any thread) reads a snapshot without locking; adding is rare.
    private volatile List<String> secrets = List.of();

    /** Adds a value to mask from now on. Values shorter than {@value #MIN_LENGTH} characters are ignored. */
    public synchronized void add(String secret) {
        if (secret == null || secret.length() < MIN_LENGTH) {
            return;
        }
        List<String> next = new ArrayList<>(secrets);
        for (String form : List.of(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8))) {
            if (!next.contains(form)) {
                next.add(form);
            }
        }
        next.sort(Comparator.comparingInt(String::length).reversed());
        secrets = List.copyOf(next);
    }

    /** The text with every secret replaced by {@code ****}. */
    public String mask(String text) {
        return maskCounting(text).text();
    }

    /** Like {@link #mask} and also says how many occurrences were replaced. */
    public Masked maskCounting(String text) {
        List<String> snapshot = secrets;
        if (text == null || text.isEmpty() || snapshot.isEmpty()) {
            return new Masked(text, 0);
        }
        boolean[] covered = null;
        int count = 0;
        for (String secret : snapshot) {
            for (int at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
                if (covered == null) {
                    covered = new boolean[text.length()];
                }
                // A shorter secret inside a longer one already counted is not a second occurrence.
                if (!covered[at] || !covered[at + secret.length() - 1]) {
                    count++;
                }
                Arrays.fill(covered, at, at + secret.length(), true);
            }
        }
        if (covered == null) {
            return new Masked(text, 0);
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            if (!covered[i]) {
                out.append(text.charAt(i));
            } else if (i == 0 || !covered[i - 1]) {
                out.append(MASK);
            }
        }
        return new Masked(out.toString(), count);
    }
}
