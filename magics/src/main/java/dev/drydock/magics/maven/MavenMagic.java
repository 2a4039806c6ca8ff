package dev.drydock.magics.maven;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.render.Table;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code %maven GROUP:ARTIFACT:VERSION...}: a library and its dependencies on the Java cells' classpath. */
@Command(name = "maven",
        description = {
            "Load Java libraries from Maven repositories, with their dependencies, for the Java cells.",
            "",
            "Resolves like mvn: Maven Central plus the repositories, mirrors, proxies and servers of"
                    + " ~/.m2/settings.xml (or the file $${DRYDOCK_MAVEN_SETTINGS} names); jars are cached in"
                    + " ~/.m2/repository (or $${DRYDOCK_MAVEN_REPO_LOCAL}). The classes are usable from the next"
                    + " line of the same cell. A jar cannot be unloaded: a second version of a library already"
                    + " loaded is an error (restart the kernel to change versions).",
            "",
            "Examples:",
            "  %%maven org.json:json:20260814",
            "  %%maven org.jfree:jfreechart:1.5.6 org.apache.commons:commons-math3:3.6.1",
            "  %%maven --repo https://maven.example.com/releases com.example:lib:1.2"
        })
public final class MavenMagic extends MagicCommand {

    @Parameters(paramLabel = "GROUP:ARTIFACT:VERSION", arity = "1..*",
            description = "Coordinates, as search.maven.org shows them (also GROUP:ARTIFACT:EXTENSION:CLASSIFIER:VERSION).")
    List<String> coordinates;

    @Option(names = "--repo", paramLabel = "[ID=]URL",
            description = "Another repository to search, after Central and settings.xml's (repeatable).")
    List<String> repositories = new ArrayList<>();

    @Option(names = "--offline", description = "Search only the local repository, as mvn -o.")
    boolean offline;

    private final Notebook notebook;
    private final MavenResolver resolver;
    private final LoadedJars loaded;

    public MavenMagic(Notebook notebook, MavenResolver resolver, LoadedJars loaded) {
        this.notebook = notebook;
        this.resolver = resolver;
        this.loaded = loaded;
    }

    @Override
    protected void run() throws MagicException {
        for (String coordinate : coordinates) {
            org.eclipse.aether.artifact.Artifact artifact = MavenResolver.artifact(coordinate);
            // A range or LATEST is only known after resolving; a plain version can be checked now.
            if (!artifact.getVersion().matches(".*[\\[\\](),].*|LATEST|RELEASE")) {
                loaded.checkConflict(new MavenResolver.Jar(artifact.getGroupId(), artifact.getArtifactId(),
                        artifact.getClassifier(), artifact.getVersion(), null, true));
            }
        }
        DownloadProgress progress = new DownloadProgress(notebook, notebook.cancellation());
        MavenResolver.Resolution resolution;
        try {
            resolution = resolver.resolve(coordinates, repositories, offline, progress, notebook.cancellation());
        } finally {
            progress.finish();
        }
        List<LoadedJars.Outcome> outcomes = loaded.addResolved(resolution.jars());
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < resolution.jars().size(); i++) {
            MavenResolver.Jar jar = resolution.jars().get(i);
            LoadedJars.Outcome outcome = outcomes.get(i);
            rows.add(List.of(jar.key(), jar.version(),
                    switch (outcome) {
                        case ADDED -> jar.file().getFileName().toString();
                        case ALREADY_ADDED -> jar.file().getFileName() + " (already loaded)";
                        case BUNDLED -> "(bundled with the kernel)";
                    },
                    outcome == LoadedJars.Outcome.BUNDLED ? "" : Table.size(LoadedJars.size(jar.file()))));
        }
        notebook.display(new Table(List.of("artifact", "version", "jar", "size"), rows).bundle(), null);
    }
}
