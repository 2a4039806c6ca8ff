package dev.drydock.kernel.install;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstallerTest {

    @TempDir
    Path temp;

    @Test
    void installsKernelspecWithAbsolutePathsAndACopyOfTheJar() throws Exception {
        Path jar = Files.writeString(temp.resolve("built.jar"), "pretend jar");
        Path kernels = Installer.prefixKernelsDir(temp.resolve("prefix"));

        Path installed = new Installer(jar, Path.of("/opt/jdk/bin/java")).install(kernels);

        assertEquals(kernels.resolve("drydock"), installed);
        JsonNode spec = new ObjectMapper().readTree(installed.resolve("kernel.json").toFile());
        assertEquals("Drydock (Java 17)", spec.get("display_name").asText());
        assertEquals("java", spec.get("language").asText());
        assertEquals("message", spec.get("interrupt_mode").asText());
        List<String> argv = new ArrayList<>();
        spec.get("argv").forEach(a -> argv.add(a.asText()));
        assertEquals("/opt/jdk/bin/java", argv.get(0));
        Path installedJar = installed.resolve("drydock.jar");
        assertEquals(List.of("-jar", installedJar.toString(), "kernel", "{connection_file}"),
                argv.subList(argv.size() - 4, argv.size()));
        assertTrue(installedJar.isAbsolute());
        assertArrayEquals(Files.readAllBytes(jar), Files.readAllBytes(installedJar));
        assertTrue(Files.size(installed.resolve("logo-64x64.png")) > 0);
        assertTrue(Files.size(installed.resolve("logo-32x32.png")) > 0);
        assertTrue(argv.stream().noneMatch(a -> a.startsWith("@") || a.contains("SharedArchiveFile")),
                "a jar that cannot run records no class archive, and no placeholder is left: " + argv);
    }

    @Test
    void reinstallingFromTheInstalledJarKeepsIt() throws Exception {
        Path kernels = temp.resolve("kernels");
        Path first = new Installer(Files.writeString(temp.resolve("a.jar"), "v1"), Path.of("/usr/bin/java")).install(kernels);
        Path installedJar = first.resolve("drydock.jar");

        new Installer(installedJar, Path.of("/usr/bin/java")).install(kernels);

        assertEquals("v1", Files.readString(installedJar));
        try (var files = Files.list(first)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left behind");
        }
    }
}
