package dev.drydock.magics.maven;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** A Maven repository in a folder, served as file://, with artifacts the test publishes: no network. */
final class FileRepository {

    final Path root;

    FileRepository(Path root) {
        this.root = root;
    }

    String url() {
        return root.toUri().toString();
    }

    /** Publishes a jar holding {@code files} and a pom naming {@code dependencies} (GROUP:ARTIFACT:VERSION). */
    Path publish(String coordinates, Map<String, String> files, List<String> dependencies) throws IOException {
        String[] gav = coordinates.split(":");
        Path folder = root.resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2]);
        Files.createDirectories(folder);
        StringBuilder pom = new StringBuilder("<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n"
                + "  <modelVersion>4.0.0</modelVersion>\n"
                + "  <groupId>" + gav[0] + "</groupId><artifactId>" + gav[1] + "</artifactId><version>" + gav[2] + "</version>\n"
                + "  <dependencies>\n");
        for (String dependency : dependencies) {
            String[] d = dependency.split(":");
            pom.append("    <dependency><groupId>").append(d[0]).append("</groupId><artifactId>").append(d[1])
                    .append("</artifactId><version>").append(d[2]).append("</version></dependency>\n");
        }
        pom.append("  </dependencies>\n</project>\n");
        Files.writeString(folder.resolve(gav[1] + "-" + gav[2] + ".pom"), pom);
        Path jar = folder.resolve(gav[1] + "-" + gav[2] + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out)) {
            for (Map.Entry<String, String> file : files.entrySet()) {
                zip.putNextEntry(new JarEntry(file.getKey()));
                zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return jar;
    }

    /** A settings.xml that sends every repository to this one (a mirror of *) and keeps jars in {@code local}. */
    Path settings(Path file, Path local) throws IOException {
        Files.writeString(file, "<settings>\n  <localRepository>" + local + "</localRepository>\n  <mirrors>\n"
                + "    <mirror><id>test-mirror</id><mirrorOf>*</mirrorOf><url>" + url() + "</url></mirror>\n"
                + "  </mirrors>\n</settings>\n");
        return file;
    }
}
