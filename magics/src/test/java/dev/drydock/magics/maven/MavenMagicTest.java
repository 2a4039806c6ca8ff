package dev.drydock.magics.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code %maven} and {@code %classpath} through the real Maven Resolver, against a file:// repository the test writes. */
class MavenMagicTest {

    @TempDir
    Path temp;

    private FileRepository repository;
    private Path local;
    private final List<Path> classPath = new ArrayList<>();
    private Session session;
    private Magics magics;
    private final RecordingNotebook notebook = new RecordingNotebook();

    @BeforeEach
    void setUp() throws IOException {
        repository = new FileRepository(Files.createDirectories(temp.resolve("remote")));
        repository.publish("com.example:words:1.0", Map.of("words.txt", "hello"), List.of());
        repository.publish("com.example:words:2.0", Map.of("words.txt", "hi"), List.of());
        repository.publish("com.example:greeter:1.0", Map.of("greeter.txt", "greets"), List.of("com.example:words:1.0"));
        local = temp.resolve("local");
        Path settings = repository.settings(temp.resolve("settings.xml"), local);
        session = new Session(temp, Map.of(MavenSettings.SETTINGS, settings.toString()));
        session.bindClassPath(classPath::addAll);
        magics = magics(LoadedJars.class.getClassLoader());
    }

    private Magics magics(ClassLoader kernel) {
        return new Magics(session, MagicFamilies.ALL, List.of(new MavenResolver(session), new LoadedJars(session, kernel)));
    }

    private void run(String name, String args) throws MagicException {
        magics.run(new MagicCall(name, args, null), notebook);
    }

    private String table() {
        return notebook.displays().stream().filter(d -> !d.update() && d.displayId() == null)
                .map(d -> (String) d.bundle().get("text/plain")).reduce((a, b) -> b).orElse("");
    }

    @Test
    void resolvesTransitivelyThroughTheMirrorIntoTheLocalRepositoryAndShowsATable() throws MagicException {
        run("maven", "com.example:greeter:1.0");

        Path greeter = local.resolve("com/example/greeter/1.0/greeter-1.0.jar");
        Path words = local.resolve("com/example/words/1.0/words-1.0.jar");
        assertEquals(List.of(greeter, words), classPath);
        String table = table();
        assertTrue(table.matches("(?s)artifact\\s+version\\s+jar\\s+size\n"
                + "com\\.example:greeter\\s+1\\.0\\s+greeter-1\\.0\\.jar\\s+\\d+B\n"
                + "com\\.example:words\\s+1\\.0\\s+words-1\\.0\\.jar\\s+\\d+B\n"), table);
        assertTrue(notebook.displays().stream().anyMatch(d -> String.valueOf(d.bundle().get("text/plain"))
                .startsWith("Downloading ")), "a live line while downloading: " + notebook.displays());
    }

    @Test
    void theSameLibraryAgainAddsNothing() throws MagicException {
        run("maven", "com.example:greeter:1.0");
        run("maven", "com.example:words:1.0");

        assertEquals(2, classPath.size());
        assertTrue(table().contains("words-1.0.jar (already loaded)"), table());
    }

    @Test
    void aSecondVersionOfALoadedLibraryIsAConflictThatAddsNothing() throws MagicException {
        run("maven", "com.example:greeter:1.0");

        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:words:2.0"));
        assertEquals("com.example:words:2.0 conflicts with com.example:words:1.0, which an earlier %maven put on the"
                + " classpath: a loaded jar cannot be replaced, so cells would keep seeing 1.0. Restart the kernel and"
                + " load everything in one %maven line, where Maven picks one version (nearest wins), or ask for"
                + " com.example:words:1.0.", e.getMessage());
        assertEquals(2, classPath.size());
        assertTrue(Files.notExists(local.resolve("com/example/words/2.0")), "checked before anything is downloaded");
    }

    @Test
    void inOneLineMavenPicksOneVersion() throws MagicException {
        run("maven", "com.example:words:2.0 com.example:greeter:1.0");

        assertEquals(List.of(local.resolve("com/example/words/2.0/words-2.0.jar"),
                local.resolve("com/example/greeter/1.0/greeter-1.0.jar")), classPath);
    }

    @Test
    void aMissingArtifactNamesItAndTheRepositoriesTried() {
        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:nowhere:3.1"));

        assertEquals(MagicException.Kind.MagicError, e.kind());
        assertTrue(e.getMessage().startsWith("Cannot find com.example:nowhere:3.1"), e.getMessage());
        assertTrue(e.getMessage().contains("Repositories tried: test-mirror (" + repository.url() + ", mirror of central)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("local repository " + local), e.getMessage());
        assertEquals(List.of(), classPath);
    }

    @Test
    void aMissingDependencyNamesItAndWhatNeedsIt() throws IOException {
        repository.publish("com.example:broken:1.0", Map.of(), List.of("com.example:gone:9"));

        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:broken:1.0"));

        assertTrue(e.getMessage().startsWith("Cannot find com.example:gone:9"), e.getMessage());
        assertTrue(e.getMessage().contains("needed by com.example:broken:1.0"), e.getMessage());
        assertEquals(List.of(), classPath);
    }

    @Test
    void offlineSearchesOnlyTheLocalRepository() throws MagicException {
        MagicException e = assertThrows(MagicException.class, () -> run("maven", "--offline com.example:greeter:1.0"));
        assertTrue(e.getMessage().contains("Maven is offline"), e.getMessage());

        run("maven", "com.example:greeter:1.0");
        classPath.clear();
        magics = magics(LoadedJars.class.getClassLoader());
        run("maven", "--offline com.example:greeter:1.0");
        assertEquals(2, classPath.size());
    }

    @Test
    void anExtraRepositoryIsSearchedAfterCentral() throws IOException, MagicException {
        // Central goes to an empty folder (a mirror of central only), so the test needs no network.
        Path empty = Files.createDirectories(temp.resolve("empty"));
        Path settings = Files.writeString(temp.resolve("central-only.xml"), "<settings><mirrors><mirror><id>nothing</id>"
                + "<mirrorOf>central</mirrorOf><url>" + empty.toUri() + "</url></mirror></mirrors></settings>");
        session = new Session(temp, Map.of(MavenSettings.REPO_LOCAL, local.toString(), MavenSettings.SETTINGS, settings.toString()));
        session.bindClassPath(classPath::addAll);
        magics = magics(LoadedJars.class.getClassLoader());

        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:greeter:1.0"));
        assertTrue(e.getMessage().contains("Repositories tried: nothing (" + empty.toUri() + ", mirror of central);"),
                e.getMessage());

        run("maven", "--repo ours=" + repository.url() + " com.example:greeter:1.0");
        assertEquals(2, classPath.size());
        assertTrue(Files.isRegularFile(local.resolve("com/example/greeter/1.0/greeter-1.0.jar")));
    }

    @Test
    void theRepositoriesOfActiveSettingsProfilesAreSearched() throws IOException, MagicException {
        Path empty = Files.createDirectories(temp.resolve("empty"));
        Path settings = Files.writeString(temp.resolve("profiles.xml"), "<settings>\n"
                + "  <mirrors><mirror><id>nothing</id><mirrorOf>central</mirrorOf><url>" + empty.toUri() + "</url></mirror></mirrors>\n"
                + "  <profiles>\n"
                + "    <profile><id>team</id><repositories><repository><id>team-repo</id><url>${env.TEAM_REPO}</url>"
                + "</repository></repositories></profile>\n"
                + "    <profile><id>unused</id><repositories><repository><id>unused-repo</id><url>file:///nowhere</url>"
                + "</repository></repositories></profile>\n"
                + "  </profiles>\n"
                + "  <activeProfiles><activeProfile>team</activeProfile></activeProfiles>\n"
                + "</settings>\n");
        session = new Session(temp, Map.of(MavenSettings.REPO_LOCAL, local.toString(), MavenSettings.SETTINGS, settings.toString(),
                "TEAM_REPO", repository.url()));
        session.bindClassPath(classPath::addAll);
        magics = magics(LoadedJars.class.getClassLoader());

        run("maven", "com.example:greeter:1.0");

        assertEquals(2, classPath.size());
        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:absent:1"));
        assertTrue(e.getMessage().contains("Repositories tried: nothing (" + empty.toUri() + ", mirror of central), team-repo ("
                + repository.url() + ");"), e.getMessage());
    }

    @Test
    void aLibraryTheKernelBundlesIsTheKernelsAndAnotherVersionOfItIsAConflict() throws Exception {
        Path bundle = Files.createDirectories(temp.resolve("kernel/META-INF/maven/com.example/words"));
        Files.writeString(bundle.resolve("pom.properties"), "groupId=com.example\nartifactId=words\nversion=0.9\n");
        try (URLClassLoader kernel = new URLClassLoader(new URL[] {temp.resolve("kernel").toUri().toURL()}, null)) {
            magics = magics(kernel);

            run("maven", "com.example:greeter:1.0");
            assertEquals(List.of(local.resolve("com/example/greeter/1.0/greeter-1.0.jar")), classPath);
            assertTrue(table().matches("(?s).*com\\.example:words\\s+1\\.0\\s+\\(bundled with the kernel\\)\n"), table());

            MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:words:2.0"));
            assertTrue(e.getMessage().startsWith("com.example:words:2.0 conflicts with com.example:words:0.9, which the"
                    + " Drydock kernel bundles"), e.getMessage());
        }
    }

    @Test
    void anInterruptStopsTheDownloadsAndAddsNothing() {
        notebook.cancellation().cancel();

        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:greeter:1.0"));

        assertEquals(MagicException.Kind.KeyboardInterrupt, e.kind());
        assertEquals(List.of(), classPath);
        assertTrue(Files.notExists(local.resolve("com/example/greeter/1.0/greeter-1.0.jar")));
    }

    @Test
    void anInterruptEndsTheWaitForARepositoryThatNeverAnswers() throws Exception {
        java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        try {
            Path settings = Files.writeString(temp.resolve("silent.xml"), "<settings><mirrors><mirror><id>silent</id>"
                    + "<mirrorOf>*</mirrorOf><url>http://127.0.0.1:" + silent.getLocalPort() + "/</url></mirror></mirrors></settings>");
            session = new Session(temp, Map.of(MavenSettings.REPO_LOCAL, local.toString(), MavenSettings.SETTINGS, settings.toString()));
            session.bindClassPath(classPath::addAll);
            magics = magics(LoadedJars.class.getClassLoader());
            MagicException[] thrown = new MagicException[1];
            Thread cell = new Thread(() -> {
                try {
                    run("maven", "com.example:greeter:1.0");
                } catch (MagicException e) {
                    thrown[0] = e;
                }
            });
            cell.start();
            java.net.Socket connection = silent.accept(); // the resolver is now waiting for an answer
            notebook.cancellation().cancel();
            dev.drydock.magics.Cancellation.interrupt(cell);
            // Well inside the resolver's one-minute read timeout: the interrupt ended the wait.
            cell.join(30_000);
            // The resolver's own thread ends once its read fails; it records the failure in the local repository,
            // which must be done before the test's folder is deleted. Its transport retries, and a retry would sit in
            // the silent socket's backlog until its read timeout, so the socket closes too: the retry is refused.
            connection.close();
            silent.close();
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().equals("drydock-maven-resolve")) {
                    thread.join(30_000);
                }
            }

            assertEquals(false, cell.isAlive());
            assertEquals(MagicException.Kind.KeyboardInterrupt, thrown[0].kind());
            assertEquals(List.of(), classPath);
        } finally {
            silent.close();
        }
    }

    @Test
    void anUnreachableRepositoryIsNamedWithTheReason() throws Exception {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        Path settings = Files.writeString(temp.resolve("refused.xml"), "<settings><mirrors><mirror><id>refused</id>"
                + "<mirrorOf>*</mirrorOf><url>http://127.0.0.1:" + port + "/</url></mirror></mirrors></settings>");
        session = new Session(temp, Map.of(MavenSettings.REPO_LOCAL, local.toString(), MavenSettings.SETTINGS, settings.toString()));
        session.bindClassPath(classPath::addAll);
        magics = magics(LoadedJars.class.getClassLoader());

        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:greeter:1.0"));

        assertTrue(e.getMessage().startsWith("Cannot resolve com.example:greeter:1.0: com.example:greeter:1.0 from"
                + " refused: Connection refused. "), e.getMessage());
        assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
        assertTrue(e.getMessage().contains("Repositories tried: refused (http://127.0.0.1:" + port + "/, mirror of central)"),
                e.getMessage());
    }

    @Test
    void badCoordinatesAreAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> run("maven", "jackson-databind"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().startsWith("Bad coordinates 'jackson-databind': write GROUP:ARTIFACT:VERSION"), e.getMessage());
    }

    @Test
    void classpathAddsJarsByGlobAndFoldersAndListsEverything() throws Exception {
        Path lib = Files.createDirectories(temp.resolve("lib"));
        Files.write(lib.resolve("b.jar"), new byte[2048]);
        Files.write(lib.resolve("a.jar"), new byte[10]);
        Files.writeString(lib.resolve("notes.txt"), "not a jar");
        Path classes = Files.createDirectories(temp.resolve("classes"));

        run("classpath", "add lib/*.jar classes");
        assertEquals(List.of(lib.resolve("a.jar"), lib.resolve("b.jar"), classes), classPath);
        run("maven", "com.example:words:1.0");
        run("classpath", "");

        String table = table();
        assertTrue(table.matches("(?s).*\n-\s+-\s+" + lib.resolve("b.jar") + "\\s+2\\.05kB\n.*"), table);
        assertTrue(table.matches("(?s).*\n-\s+-\s+" + classes + "\\s+folder\n.*"), table);
        assertTrue(table.matches("(?s).*\ncom\\.example:words\\s+1\\.0\\s+words-1\\.0\\.jar\\s+\\d+B\n"), table);
    }

    @Test
    void classpathAddOfAMissingPathSaysWhereItLooked() {
        MagicException e = assertThrows(MagicException.class, () -> run("classpath", "add nothere.jar"));
        assertEquals("No jar or class folder at nothere.jar (looked for " + temp.resolve("nothere.jar") + ").",
                e.getMessage());
        assertEquals(List.of(), classPath);
    }

    @Test
    void withoutAJavaEngineItSaysSo() {
        session.bindClassPath(null);
        MagicException e = assertThrows(MagicException.class, () -> run("maven", "com.example:words:1.0"));
        assertTrue(e.getMessage().startsWith("This notebook has no Java engine"), e.getMessage());
    }
}
