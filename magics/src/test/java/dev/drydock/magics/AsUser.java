package dev.drydock.magics;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a test's {@code main} class in a child JVM as the unprivileged user {@code nobody} (through
 * util-linux's {@code setpriv}), for checks that root would pass by ignoring file permissions. CI runs as
 * root; without this such a test would have to skip itself there and never run.
 */
public final class AsUser {

    public static final int NOBODY = 65534;

    private AsUser() {}

    public static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Gives {@code tree} to {@code nobody}, so that only the modes the test sets stand in its way. */
    public static void giveToNobody(Path tree) throws IOException {
        UserPrincipal nobody = tree.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.toList()) {
                Files.getFileAttributeView(path, PosixFileAttributeView.class).setOwner(nobody);
            }
        }
    }

    /**
     * Runs {@code main} with {@code args} as {@code nobody} and returns what it printed (stdout and stderr).
     * The class path is staged in a world-readable folder first: the build's own may sit under /root.
     */
    public static String runAsNobody(Class<?> main, String... args) throws IOException, InterruptedException {
        Path staged = Files.createTempDirectory("drydock-as-nobody-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            List<String> entries = new ArrayList<>();
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            int n = 0;
            for (String entry : classPath.split(File.pathSeparator)) {
                Path source = Path.of(entry);
                if (!Files.exists(source)) {
                    continue;
                }
                Path target = staged.resolve(n++ + "-" + source.getFileName());
                stage(source, target);
                entries.add(target.toString());
            }
            List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                    "--clear-groups", "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", String.join(File.pathSeparator, entries), main.getName()));
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("HOME", staged.toString());
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("The child JVM as nobody failed (" + command + "):\n" + output);
            }
            return output;
        } finally {
            try (Stream<Path> paths = Files.walk(staged)) {
                for (Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static void stage(Path source, Path target) throws IOException {
        if (Files.isDirectory(source)) {
            try (Stream<Path> paths = Files.walk(source)) {
                for (Path path : paths.toList()) {
                    Path copy = target.resolve(source.relativize(path).toString());
                    if (Files.isDirectory(path)) {
                        Files.createDirectories(copy);
                    } else {
                        Files.copy(path, copy, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
            return;
        }
        try {
            // A hard link costs nothing and has the jar's own (world-readable) mode; another file system needs a copy.
            Files.createLink(target, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, target);
        }
    }
}
