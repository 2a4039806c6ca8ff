package dev.drydock.magics.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class IgnoreFilesTest {

    @TempDir Path dir;

    @ParameterizedTest(name = "[{0}] ignores {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        ".env              | .env       | true",
        "/.env             | .env       | true",
        "*.env             | .env       | true",
        ".env*             | .env       | true",
        "**/.env           | .env       | true",
        ".env*             | .env.local | true",
        "*.env             | prod.env   | true",
        ".envrc            | .env       | false",
        "config/.env       | .env       | false",
        ".env/             | .env       | false",
        "# .env            | .env       | false",
        "target            | .env       | false",
    })
    void simplePatterns(String pattern, String file, boolean ignored) throws Exception {
        Path ignore = Files.writeString(dir.resolve(".gitignore"), pattern + "\n");
        assertEquals(ignored, IgnoreFiles.ignores(ignore, file));
    }

    @Test
    void laterNegationUnignores() throws Exception {
        Path ignore = Files.writeString(dir.resolve(".dockerignore"), "*.env\n!.env\n");
        assertFalse(IgnoreFiles.ignores(ignore, ".env"));
    }

    @Test
    void missingFileIgnoresNothing() throws Exception {
        assertFalse(IgnoreFiles.ignores(dir.resolve(".gitignore"), ".env"));
    }
}
