package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {

    private final SecretMasker masker = new SecretMasker();

    @Test
    void aStreamMasksASecretSplitOverPieces() {
        masker.add("hunter2-secret");
        SecretMasker.Stream stream = masker.stream();
        StringBuilder out = new StringBuilder();
        for (String piece : List.of("password: hunt", "er2-", "secret\nnext hu", "nter2-secret", " tail hun")) {
            out.append(stream.mask(piece));
        }
        assertEquals("password: ****\nnext **** tail ", out.toString());
        out.append(stream.flush());
        assertEquals("password: ****\nnext **** tail hun", out.toString());
    }

    @Test
    void aStreamPassesTextOnAtOnceWhenNoSecretCanStartInIt() {
        masker.add("hunter2-secret");
        SecretMasker.Stream stream = masker.stream();
        assertEquals("progress 50%\n", stream.mask("progress 50%\n"));
        assertEquals("", stream.flush());
    }

    @Test
    void aStreamKeepsOverlappingSecretsWhole() {
        masker.add("abcdef");
        masker.add("defghi");
        SecretMasker.Stream stream = masker.stream();
        String out = stream.mask("[abcdefgh") + stream.mask("i]") + stream.flush();
        assertEquals("[****]", out);
    }

    @Test
    void aStreamSplitCharacterByCharacterStillMasks() {
        masker.add("p@ss word/1");
        SecretMasker.Stream stream = masker.stream();
        StringBuilder out = new StringBuilder();
        for (char c : "x p@ss word/1 y p@ss word/1".toCharArray()) {
            out.append(stream.mask(String.valueOf(c)));
        }
        assertEquals("x **** y ****", out.append(stream.flush()).toString());
    }

    @Test
    void masksEveryOccurrence() {
        masker.add("s3cr3t-token");
        assertEquals("a **** b ****", masker.mask("a s3cr3t-token b s3cr3t-token"));
    }

    @Test
    void nestedSecretsMaskFully() {
        masker.add("pass");
        masker.add("password123");
        assertEquals("x=**** y=****", masker.mask("x=password123 y=pass"));
    }

    @Test
    void overlappingSecretsBecomeOneMask() {
        masker.add("abcdef");
        masker.add("defghi");
        assertEquals("[****]", masker.mask("[abcdefghi]"));
    }

    @Test
    void shortValuesAreNotMasked() {
        masker.add("1");
        masker.add("abc");
        masker.add("");
        masker.add(null);
        assertEquals("1 abc 10", masker.mask("1 abc 10"));
    }

    @Test
    void masksTheUrlEncodedForm() {
        masker.add("p@ss word!");
        assertEquals("url=https://u:****@host", masker.mask("url=https://u:p%40ss+word%21@host"));
    }

    @Test
    void countsOccurrences() {
        masker.add("alpha-secret");
        SecretMasker.Masked masked = masker.maskCounting("alpha-secret and alpha-secret");
        assertEquals(2, masked.count());
        assertEquals("**** and ****", masked.text());
        assertEquals(0, masker.maskCounting("nothing").count());
    }

    @Test
    void masksWhileOtherThreadsAddSecrets() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int id = t;
            work.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    String secret = "secret-" + id + "-" + i;
                    masker.add(secret);
                    // Once added, a secret is masked by every later call, from any thread.
                    assertEquals("<****>", masker.mask("<" + secret + ">"));
                }
            }));
        }
        for (Future<?> f : work) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        for (int t = 0; t < 8; t++) {
            assertEquals("****", masker.mask("secret-" + t + "-199"));
        }
    }
}
