package dev.drydock.magics.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboundFilesTest {

    @TempDir
    Path dir;

    @Test
    void plantedSecretsGitAndIgnoredFilesStayOut() throws Exception {
        for (OutboundFiles.Rules rules : List.of(OutboundFiles.Rules.AML, OutboundFiles.Rules.DOCKER)) {
            Path code = dir.resolve("code-" + rules);
            Planted.plant(code, rules.names().get(0));
            Path out = dir.resolve("out-" + rules);
            OutboundFiles.Copied copied = OutboundFiles.copy(code, out, rules, List.of());
            assertEquals(new TreeSet<>(List.of(rules.names().get(0), "main.py", "sub/util.py")), files(out), rules.name());
            assertEquals(List.of(".env", ".env.local", "prod.env", "sub/.env"), copied.secretFiles().stream().sorted().toList());
            assertEquals(List.of("weights.bin"), copied.ignored());
        }
    }

    @Test
    void anIgnoreFileMayReincludeASecretFileExplicitly() throws Exception {
        Path code = dir.resolve("code");
        write(code.resolve("defaults.env"), "LEVEL=info\n");
        write(code.resolve(".env"), "TOKEN=x\n");
        write(code.resolve(".amlignore"), "!defaults.env\n");
        OutboundFiles.copy(code, dir.resolve("out"), OutboundFiles.Rules.AML, List.of());
        assertEquals(new TreeSet<>(List.of(".amlignore", "defaults.env")), files(dir.resolve("out")));
    }

    @Test
    void nestedIgnoreFilesAndNegationAsGitReadsThem() throws Exception {
        Path code = dir.resolve("code");
        write(code.resolve(".gitignore"), "*.log\n/build/\n");
        write(code.resolve("build/x.o"), "o");
        write(code.resolve("src/build/keep.txt"), "k");
        write(code.resolve("src/.gitignore"), "!important.log\ngenerated/**\n");
        write(code.resolve("src/important.log"), "l");
        write(code.resolve("src/noise.log"), "l");
        write(code.resolve("src/generated/a/b.py"), "b");
        OutboundFiles.copy(code, dir.resolve("out"), OutboundFiles.Rules.GIT, List.of());
        assertEquals(new TreeSet<>(List.of(".gitignore", "src/.gitignore", "src/build/keep.txt", "src/important.log")),
                files(dir.resolve("out")));
    }

    @Test
    void dockerignorePatternsAreRelativeToTheRoot() throws Exception {
        Path context = dir.resolve("context");
        write(context.resolve(".dockerignore"), "*.csv\n!keep.csv\n**/*.tmp\n");
        write(context.resolve("a.csv"), "1");
        write(context.resolve("keep.csv"), "1");
        write(context.resolve("data/b.csv"), "1");
        write(context.resolve("data/c.tmp"), "1");
        OutboundFiles.copy(context, dir.resolve("out"), OutboundFiles.Rules.DOCKER, List.of());
        assertEquals(new TreeSet<>(List.of(".dockerignore", "keep.csv", "data/b.csv")), files(dir.resolve("out")),
                "Docker's *.csv is the root's only, unlike git's");
    }

    @Test
    void aLinkedFolderInsideTheProjectArrivesAsItsContent() throws Exception {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve(".git"));
        write(repo.resolve("common/helpers.py"), "def f(): pass\n");
        write(repo.resolve("common/.env"), "TOKEN=x\n");
        write(repo.resolve("experiments/one/src/main.py"), "import common\n");
        Files.createSymbolicLink(repo.resolve("experiments/one/src/common"), Path.of("../../../common"));
        OutboundFiles.Copied copied = OutboundFiles.copy(repo.resolve("experiments/one/src"), dir.resolve("out"),
                OutboundFiles.Rules.AML, List.of());
        assertEquals(new TreeSet<>(List.of("main.py", "common/helpers.py")), files(dir.resolve("out")));
        assertEquals(List.of("common/.env"), copied.secretFiles());
        assertFalse(Files.isSymbolicLink(dir.resolve("out/common")));
    }

    @Test
    void aLinkOutsideTheProjectIsRefusedWithItsPath() throws Exception {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve(".git"));
        write(dir.resolve("elsewhere/id_rsa"), "key");
        write(repo.resolve("src/main.py"), "x");
        Files.createSymbolicLink(repo.resolve("src/keys"), dir.resolve("elsewhere"));
        MagicException e = assertThrows(MagicException.class,
                () -> OutboundFiles.copy(repo.resolve("src"), dir.resolve("out"), OutboundFiles.Rules.AML, List.of()));
        assertTrue(e.getMessage().contains("the link keys points to " + dir.resolve("elsewhere").toRealPath()), e.getMessage());
        assertTrue(e.getMessage().contains("outside the project"), e.getMessage());

        Files.delete(repo.resolve("src/keys"));
        Files.createSymbolicLink(repo.resolve("src/loop"), Path.of(".."));
        MagicException loop = assertThrows(MagicException.class,
                () -> OutboundFiles.copy(repo.resolve("src"), dir.resolve("out2"), OutboundFiles.Rules.AML, List.of()));
        assertTrue(loop.getMessage().contains("the link loop"), loop.getMessage());
    }

    @Test
    void gitIgnoresAsksEveryIgnoreFileUpToTheRepositoryRoot() throws Exception {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve(".git/info"));
        write(repo.resolve(".gitignore"), ".env\n");
        write(repo.resolve("notebooks/01-eo/.env"), "A=1");
        assertTrue(OutboundFiles.gitIgnores(repo.resolve("notebooks/01-eo/.env")), "the root's .gitignore ignores it");

        write(repo.resolve("notebooks/.gitignore"), "!.env\n");
        assertFalse(OutboundFiles.gitIgnores(repo.resolve("notebooks/01-eo/.env")), "a deeper !.env re-includes it");

        write(repo.resolve(".git/info/exclude"), "secrets/\n");
        write(repo.resolve("secrets/prod.env"), "A=1");
        assertTrue(OutboundFiles.gitIgnores(repo.resolve("secrets/prod.env")), "an ignored folder on the way");
        assertFalse(OutboundFiles.gitIgnores(repo.resolve("other.env")));
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static TreeSet<String> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
