package dev.drydock.magics.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * python-dotenv is the oracle: Debian's {@code python3-dotenv} (installed by {@code bin/setup}) reads every
 * file of the table below, and each case compares its names, values and order with {@link DotenvFile}'s.
 */
class DotenvFileOracleTest {

    /** The environment both sides expand {@code ${NAME}} against. */
    private static final Map<String, String> ENVIRONMENT = Map.of("FROM_ENV", "outside", "LANG", "C.UTF-8",
            "PYTHONIOENCODING", "utf-8");

    private static final Map<String, String> CASES = new LinkedHashMap<>();

    static {
        CASES.put("plain", "A=b\nB=c d\n");
        CASES.put("spaces-around-equals", "A = b\nB\t=\tc\n");
        CASES.put("export", "export A=b\nexport\tB='c'\nexported=1\n");
        CASES.put("single-quoted", "A='abcdef'\n");
        CASES.put("single-quoted-escapes", "A='a\\'b\\\\c\\n'\n");
        CASES.put("double-quoted-escapes", "A=\"a\\nb\\t\\\"c\\\" \\\\ \\x\"\n");
        CASES.put("double-quoted-multiline", "A=\"line1\nline2\n  line3\"\nB=after\n");
        CASES.put("single-quoted-multiline", "A='x\ny'\nB=z\n");
        CASES.put("unquoted-comment", "A=b # a comment\nB=c\t# tab comment\n");
        CASES.put("hash-without-space", "A=b#c\nURL=http://host/#frag\n");
        CASES.put("empty", "A=\nB= \nC= # comment\nD=\"\"\nE=''\n");
        CASES.put("bare-name", "A\nB=1\n  C  \n");
        CASES.put("comments-and-blank-lines", "# top\n\n   # indented\nA=1\n\n\n#B=2\n");
        CASES.put("expansion-unquoted", "A=x\nB=${A}/y\n");
        CASES.put("expansion-double-quoted", "A=x\nB=\"${A} and ${A}\"\n");
        CASES.put("expansion-single-quoted", "A=x\nB='${A}'\n");
        CASES.put("expansion-default", "B=${MISSING:-fallback}\nC=${MISSING}\nD=${FROM_ENV:-unused}\n");
        CASES.put("expansion-from-environment", "B=${FROM_ENV}/x\n");
        CASES.put("file-wins-over-environment", "FROM_ENV=inside\nB=${FROM_ENV}\n");
        CASES.put("expansion-later-name", "B=${A}\nA=x\n");
        CASES.put("crlf", "A=b\r\nB=\"c\r\nd\"\r\nC='e'\r\n");
        CASES.put("trailing-whitespace", "A=b   \nB='c'   \nC=\"d\"\t\n");
        CASES.put("quoted-then-comment", "A=\"b\" # c\nB='x' #y\n");
        CASES.put("unterminated-quote", "A=\"unterminated\nB=ok\n");
        CASES.put("junk-after-quote", "A=\"b\"c\nB=ok\n");
        CASES.put("duplicates", "A=1\nB=2\nA=3\n");
        CASES.put("unicode", "A=héllo ✓\nB=\"日本\"\n");
        CASES.put("equals-in-value", "A=b=c\nB='x=y'\n");
        CASES.put("quoted-key", "'A B'=x\n'C'=y\n");
        CASES.put("indented", "   A=b\n\tB=c\n");
        CASES.put("apostrophe-unquoted", "A=it's\nB=say \"hi\"\n");
        CASES.put("dollar-password", "P='pa$$word'\nQ=pa$word\nR=\"$HOME\"\n");
        CASES.put("no-final-newline", "A=b\nB=c");
        CASES.put("self-reference", "A=${A}x\n");
        CASES.put("seed-docker-login", "DOCKER_USERNAME=georgedockeraccount\nDOCKER_PASSWORD='s3cr#t pa$$ word'\n");
        CASES.put("bad-line-in-middle", "A=1\n=nokey\nB=2\n");
        CASES.put("escaped-dollar", "A=\\${B}\nB=x\n");
    }

    @TempDir
    static Path folder;

    private static JsonNode oracle;

    @BeforeAll
    static void askPythonDotenv() throws IOException, InterruptedException {
        for (Map.Entry<String, String> c : CASES.entrySet()) {
            Files.write(folder.resolve(c.getKey() + ".env"), c.getValue().getBytes(StandardCharsets.UTF_8));
        }
        Path script = Path.of("src/test/resources/dotenv/oracle.py").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder("/usr/bin/python3", script.toString(), folder.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().clear();
        builder.environment().putAll(ENVIRONMENT);
        Process python = builder.start();
        byte[] out = python.getInputStream().readAllBytes();
        int status = python.waitFor();
        assertEquals(0, status, "python-dotenv could not run; bin/setup installs it (apt-get install python3-dotenv)");
        oracle = new ObjectMapper().readTree(out);
    }

    static Stream<Arguments> cases() {
        assertTrue(CASES.size() >= 25);
        return CASES.keySet().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void readsLikePythonDotenv(String name) {
        List<List<String>> expected = new ArrayList<>();
        for (JsonNode pair : oracle.get(name + ".env")) {
            expected.add(java.util.Arrays.asList(pair.get(0).asText(), pair.get(1).isNull() ? null : pair.get(1).asText()));
        }
        List<List<String>> actual = new ArrayList<>();
        DotenvFile.parse(CASES.get(name)).expand(ENVIRONMENT::get)
                .forEach((k, v) -> actual.add(java.util.Arrays.asList(k, v)));
        assertEquals(expected, actual, () -> "case " + name + ":\n" + CASES.get(name));
    }
}
