package dev.drydock.kernel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code %maven} and {@code %classpath} in the packaged kernel through jupyter_client (src/test/python/
 * maven_probe.py). The test compiles a tiny library with a transitive dependency and publishes it to a
 * file:// repository, which a settings.xml makes the mirror of every repository: CI needs no network.
 */
@Tag("integration")
class MavenIT {

    @TempDir
    static Path temp;

    private static JupyterHarness jupyter;
    private static Map<String, String> environment;

    @BeforeAll
    static void setUp() throws Exception {
        jupyter = JupyterHarness.install(temp);
        Path remote = Files.createDirectories(temp.resolve("remote"));
        Path local = temp.resolve("local");
        Path classes = Files.createDirectories(temp.resolve("classes"));
        Path words = write(temp.resolve("src/com/example/words/Words.java"), "package com.example.words;\n"
                + "public final class Words { public static String greeting() { return \"hello from words\"; } }\n");
        Path greeter = write(temp.resolve("src/com/example/greeter/Greeter.java"), "package com.example.greeter;\n"
                + "public final class Greeter {\n"
                + "    public static String greet(String name) { return com.example.words.Words.greeting() + \", \" + name; }\n"
                + "}\n");
        Path extra = write(temp.resolve("src/com/example/extra/Extra.java"), "package com.example.extra;\n"
                + "public final class Extra {}\n");
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-d", classes.toString(),
                words.toString(), greeter.toString(), extra.toString());
        assertEquals(0, status, "the test library compiles");

        publish(remote, "com.example", "words", "1.0", classes, "com/example/words", List.of());
        publish(remote, "com.example", "greeter", "1.0", classes, "com/example/greeter", List.of("com.example:words:1.0"));
        Path extraJar = temp.resolve("extra.jar");
        jar(extraJar, classes, "com/example/extra");

        Path settings = Files.writeString(temp.resolve("settings.xml"), "<settings>\n"
                + "  <localRepository>" + local + "</localRepository>\n"
                + "  <mirrors><mirror><id>test-mirror</id><mirrorOf>*</mirrorOf><url>" + remote.toUri() + "</url></mirror></mirrors>\n"
                + "</settings>\n");
        environment = Map.of("DRYDOCK_MAVEN_SETTINGS", settings.toString(), "DRYDOCK_MAVEN_REPO_EXPECTED", local.toString(),
                "DRYDOCK_EXTRA_JAR", extraJar.toString());
    }

    @Test
    void mavenLoadsALibraryWithItsDependencyForTheSameCellAndSaysWhatIsMissing() {
        JupyterHarness.Result result = jupyter.unittest("maven_probe", environment, 600);

        assertEquals(0, result.exitCode(), "maven probes failed:\n" + result.output());
        assertTrue(result.output().contains("Ran 4 tests"), result.output());
        assertFalse(result.output().contains("skipped"), result.output());
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static void publish(Path repository, String group, String artifact, String version, Path classes,
            String packageFolder, List<String> dependencies) throws IOException {
        Path folder = Files.createDirectories(repository.resolve(group.replace('.', '/')).resolve(artifact).resolve(version));
        StringBuilder pom = new StringBuilder("<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n"
                + "  <modelVersion>4.0.0</modelVersion>\n  <groupId>" + group + "</groupId>\n  <artifactId>" + artifact
                + "</artifactId>\n  <version>" + version + "</version>\n  <dependencies>\n");
        for (String dependency : dependencies) {
            String[] gav = dependency.split(":");
            pom.append("    <dependency><groupId>").append(gav[0]).append("</groupId><artifactId>").append(gav[1])
                    .append("</artifactId><version>").append(gav[2]).append("</version></dependency>\n");
        }
        Files.writeString(folder.resolve(artifact + "-" + version + ".pom"), pom.append("  </dependencies>\n</project>\n"));
        jar(folder.resolve(artifact + "-" + version + ".jar"), classes, packageFolder);
    }

    private static void jar(Path jar, Path classes, String packageFolder) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
                Stream<Path> files = Files.walk(classes.resolve(packageFolder))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                zip.putNextEntry(new JarEntry(classes.relativize(file).toString()));
                zip.write(Files.readAllBytes(file));
                zip.closeEntry();
            }
        }
    }
}
