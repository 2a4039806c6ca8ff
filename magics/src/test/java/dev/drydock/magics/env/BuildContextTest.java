package dev.drydock.magics.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy of a context folder that the builder gets and the content address covers. */
class BuildContextTest {

    @TempDir
    Path dir;

    private void write(String path, String text) throws Exception {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void dockerignorePatternsAreRelativeToTheContextRoot() throws Exception {
        write("Dockerfile", "FROM scratch\n");
        write(".dockerignore", "# comment\n.env\n*.log\ndata/\n./build\n!keep.log\nDockerfile\n");
        write(".env", "TOKEN=x\n");
        write("a.log", "root log\n");
        write("keep.log", "kept\n");
        write("src/b.log", "nested log\n");
        write("src/app.py", "print(1)\n");
        write("data/rows.csv", "1,2\n");
        write("build/out.bin", "bin\n");
        try (BuildContext context = BuildContext.snapshot(dir, dir.resolve("Dockerfile"))) {
            // .dockerignore itself goes along, as the docker CLI sends it.
            assertEquals(List.of(".dockerignore", "keep.log", "src/app.py", "src/b.log"), List.copyOf(context.files().keySet()));
            assertEquals(BuildInputs.sha256("print(1)\n"), context.files().get("src/app.py"));
            // The Dockerfile is sent even when ignored, as the docker CLI sends it.
            assertEquals(context.dir().resolve("Dockerfile"), context.dockerfile());
            assertTrue(Files.isRegularFile(context.dockerfile()));
            assertTrue(Files.notExists(context.dir().resolve(".env")));
        }
    }

    @Test
    void aLaterExceptionBringsBackOneFileOfAnIgnoredFolder() throws Exception {
        write("Dockerfile", "FROM scratch\n");
        write(".dockerignore", "data/\n!data/keep.csv\nsrc/**/*.tmp\n");
        write("data/keep.csv", "1\n");
        write("data/drop.csv", "2\n");
        write("data/deep/drop.csv", "3\n");
        write("src/a/b/x.tmp", "t\n");
        write("src/a/b/x.py", "p\n");
        try (BuildContext context = BuildContext.snapshot(dir, dir.resolve("Dockerfile"))) {
            assertEquals(List.of(".dockerignore", "Dockerfile", "data/keep.csv", "src/a/b/x.py"),
                    List.copyOf(context.files().keySet()));
        }
    }

    @Test
    void aLinkInsideTheContextIsCopiedAndOneOutsideIsRefusedWithItsPath() throws Exception {
        write("ctx/Dockerfile", "FROM scratch\n");
        write("ctx/common/util.py", "X = 1\n");
        write("outside/secret.txt", "no\n");
        Path context = dir.resolve("ctx");
        Files.createSymbolicLink(context.resolve("shared"), context.resolve("common"));
        try (BuildContext copy = BuildContext.snapshot(context, context.resolve("Dockerfile"))) {
            assertTrue(copy.files().containsKey("shared/util.py"), copy.files().toString());
            assertTrue(Files.isRegularFile(copy.dir().resolve("shared/util.py")));
        }
        Files.createSymbolicLink(context.resolve("escape"), dir.resolve("outside"));
        MagicException e = assertThrows(MagicException.class,
                () -> BuildContext.snapshot(context, context.resolve("Dockerfile")));
        assertTrue(e.getMessage().contains("the link escape points to " + dir.resolve("outside").toRealPath()), e.getMessage());
    }

    @Test
    void aDockerfileOutsideTheContextIsCopiedIn() throws Exception {
        write("ctx/app.py", "print(1)\n");
        write("docker/Dockerfile", "FROM scratch\n");
        try (BuildContext context = BuildContext.snapshot(dir.resolve("ctx"), dir.resolve("docker/Dockerfile"))) {
            assertEquals(context.dir().resolve(BuildContext.OUTSIDE_DOCKERFILE), context.dockerfile());
            assertEquals(List.of("app.py"), List.copyOf(context.files().keySet()));
        }
    }
}
