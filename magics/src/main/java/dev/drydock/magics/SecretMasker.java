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
 *   <li>{@link #mask} masks one text on its own. Output that arrives in pieces (a process's writes, Docker log
 *       frames) goes through a {@link #stream()}, which holds back the end of a piece while it could be the
 *       start of a secret, so a secret split over two pieces is still masked.
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

    /** A masker for one stream of text that arrives in pieces; see {@link Stream}. */
    public Stream stream() {
        return new Stream();
    }

    /**
     * Masks a stream piece by piece: {@link #mask(String)} returns what is safe to pass on now and keeps the
     * shortest tail that could still grow into a secret (at most one secret's length less one character);
     * {@link #flush()} returns that tail, masked, at the end of the stream or before a pause worth showing.
     * Thread-safe.
     */
    public final class Stream {
        private final StringBuilder held = new StringBuilder();

        private Stream() {}

        /** The masked text that can be passed on now; may be shorter than {@code piece}, or empty. */
        public synchronized String mask(String piece) {
            if (piece == null || piece.isEmpty()) {
                return "";
            }
            held.append(piece);
            String text = held.toString();
            List<String> snapshot = secrets;
            int cut = text.length() - heldTail(text, snapshot);
            // A secret that the cut would split stays whole on the held side; moving the cut back can split
            // another (overlapping) one, hence the loop.
            for (boolean moved = true; moved; ) {
                moved = false;
                for (String secret : snapshot) {
                    int from = Math.max(0, cut - secret.length() + 1);
                    int at = text.indexOf(secret, from);
                    if (at >= 0 && at < cut && at + secret.length() > cut) {
                        cut = at;
                        moved = true;
                    }
                }
            }
            held.delete(0, cut);
            return SecretMasker.this.mask(text.substring(0, cut));
        }

        /** Everything held back, masked; the stream starts afresh. */
        public synchronized String flush() {
            String text = held.toString();
            held.setLength(0);
            return SecretMasker.this.mask(text);
        }

        /** The length of the longest end of {@code text} that is the start, not the whole, of a secret. */
        private static int heldTail(String text, List<String> secrets) {
            int longest = 0;
            for (String secret : secrets) {
                for (int k = Math.min(secret.length() - 1, text.length()); k > longest; k--) {
                    if (text.regionMatches(text.length() - k, secret, 0, k)) {
                        longest = k;
                        break;
                    }
                }
            }
            return longest;
        }
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
