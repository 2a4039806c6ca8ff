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

/** The export of a poetry project's locked set; the install itself is EnvPoetryIT's. */
class PoetryLockTest {

    @TempDir
    Path dir;

    private Path project(String pyproject, String lock) throws Exception {
        Files.writeString(dir.resolve("poetry.lock"), lock);
        return Files.writeString(dir.resolve("pyproject.toml"), pyproject);
    }

    @Test
    void poetryOnePointXLocksWithMetadataFilesAndLegacyDevDependencies() throws Exception {
        Path pyproject = project("""
                [tool.poetry.dependencies]
                python = "^3.8"
                Requests_Toolbelt = "*"
                extra-only = {version = "*", optional = true}
                [tool.poetry.dev-dependencies]
                pytest = "*"
                """, """
                [[package]]
                name = "requests-toolbelt"
                version = "1.0.0"
                category = "main"
                [package.dependencies]
                idna = "*"
                fancy = {version = "*", optional = true}
                [[package]]
                name = "idna"
                version = "3.4"
                markers = "python_version >= \\"3.8\\""
                [[package]]
                name = "pytest"
                version = "7.4.0"
                [metadata.files]
                requests-toolbelt = [{file = "requests_toolbelt-1.0.0-py2.py3-none-any.whl", hash = "sha256:aa"}]
                idna = [{file = "idna-3.4-py3-none-any.whl", hash = "sha256:bb"}, {file = "idna-3.4.tar.gz", hash = "sha256:cc"}]
                pytest = [{file = "pytest-7.4.0-py3-none-any.whl", hash = "sha256:dd"}]
                """);
        PoetryLock.Export main = PoetryLock.export(pyproject, List.of());
        assertEquals(List.of("idna", "requests-toolbelt"), main.packages().stream().map(PoetryLock.Locked::name).toList());
        assertEquals("idna==3.4 ; python_version >= \"3.8\" \\\n    --hash=sha256:bb \\\n    --hash=sha256:cc",
                main.packages().get(0).line());
        assertEquals(3, PoetryLock.export(pyproject, List.of("dev")).packages().size());
        MagicException unknown = assertThrows(MagicException.class, () -> PoetryLock.export(pyproject, List.of("docs")));
        assertTrue(unknown.getMessage().contains("has no dependency group docs; its groups: dev."), unknown.getMessage());
    }

    @Test
    void aStaleLockOrAPathDependencyIsAClearError() throws Exception {
        Path stale = project("""
                [tool.poetry.dependencies]
                numpy = "*"
                """, "package = []\n");
        MagicException missing = assertThrows(MagicException.class, () -> PoetryLock.export(stale, List.of()));
        assertTrue(missing.getMessage().contains("needs numpy, which " + dir.resolve("poetry.lock") + " does not list"),
                missing.getMessage());
        Path local = project("""
                [tool.poetry.dependencies]
                common = {path = "../common", develop = true}
                """, """
                [[package]]
                name = "common"
                version = "0.1.0"
                [package.source]
                type = "directory"
                url = "../common"
                """);
        MagicException path = assertThrows(MagicException.class, () -> PoetryLock.export(local, List.of()));
        assertTrue(path.getMessage().contains("locks common from a directory source (../common)"), path.getMessage());
    }
}
