package dev.drydock.magics.maven;

import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.Artifact;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.collection.UnsolvableVersionConflictException;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.resolution.DependencyResult;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.supplier.SessionBuilderSupplier;
import org.eclipse.aether.transfer.ArtifactNotFoundException;
import org.eclipse.aether.transfer.ArtifactTransferException;
import org.eclipse.aether.transfer.TransferListener;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;

/**
 * Resolves Maven coordinates with their transitive dependencies through Maven Resolver, as {@code mvn}
 * would for a project that depends on them: Maven Central plus the repositories, mirrors, proxies and
 * credentials of {@code settings.xml}, jars cached in the local repository ({@code ~/.m2/repository}).
 *
 * <p>The repository system is built on first use, so a kernel that never loads a library pays nothing for it.
 */
public final class MavenResolver implements AutoCloseable {

    /** One jar of a resolution, with the coordinates it was resolved for. */
    public record Jar(String groupId, String artifactId, String classifier, String version, Path file, boolean requested) {

        /** {@code group:artifact}, with {@code :classifier} when there is one: what two versions of must not both load. */
        public String key() {
            return groupId + ":" + artifactId + (classifier.isEmpty() ? "" : ":" + classifier);
        }
    }

    /** Where a resolution looked, for messages. */
    public record Resolution(List<Jar> jars, List<String> repositories, Path localRepository) {}

    private static final int REQUEST_TIMEOUT_MILLIS = 60_000;

    private final Session session;
    private RepositorySystem system;

    public MavenResolver(Session session) {
        this.session = session;
    }

    /**
     * Resolves {@code coordinates} ({@code GROUP:ARTIFACT[:EXTENSION[:CLASSIFIER]]:VERSION}) and everything
     * they need at compile and run time; nearest wins among versions, as in Maven.
     *
     * @param extraRepositories {@code [ID=]URL} repositories searched after Central and settings.xml's
     * @throws MagicException naming a missing artifact, a version conflict or a failed download, with the
     *     repositories tried
     */
    public Resolution resolve(List<String> coordinates, List<String> extraRepositories, boolean offline,
            TransferListener listener, Cancellation cancellation) throws MagicException {
        List<Artifact> artifacts = new ArrayList<>();
        for (String coordinate : coordinates) {
            artifacts.add(artifact(coordinate));
        }
        MavenSettings settings = MavenSettings.read(session);
        List<RemoteRepository> declared = new ArrayList<>(settings.repositories());
        for (String option : extraRepositories) {
            declared.add(MavenSettings.fromOption(option));
        }
        RepositorySystem system = system();
        try (RepositorySystemSession.CloseableSession repositorySession = new SessionBuilderSupplier(system).get()
                .withLocalRepositoryBaseDirectories(settings.localRepository())
                .setOffline(offline || settings.offline())
                .setMirrorSelector(settings.mirrors())
                .setProxySelector(settings.proxies())
                .setAuthenticationSelector(settings.authentication())
                .setSystemProperties(System.getProperties())
                .setTransferListener(listener)
                // A server that stops answering fails the download after a minute rather than half an hour.
                .setConfigProperty("aether.transport.http.requestTimeout", REQUEST_TIMEOUT_MILLIS)
                .build()) {
            // Mirrors, proxies and credentials applied, as Maven does before it resolves anything.
            List<RemoteRepository> repositories = system.newResolutionRepositories(repositorySession, declared);
            List<String> tried = repositories.stream().map(MavenResolver::describe).toList();
            CollectRequest collect = new CollectRequest();
            artifacts.forEach(artifact -> collect.addDependency(new Dependency(artifact, JavaScopes.COMPILE)));
            collect.setRepositories(repositories);
            DependencyRequest request = new DependencyRequest(collect,
                    DependencyFilterUtils.classpathFilter(JavaScopes.COMPILE, JavaScopes.RUNTIME));
            DependencyResult result;
            try {
                result = inBackground(() -> system.resolveDependencies(repositorySession, request));
            } catch (DependencyResolutionException e) {
                cancellation.throwIfCancelled();
                throw failure(e, coordinates, tried, settings, offline || settings.offline());
            } catch (InterruptedException e) {
                throw MagicException.interrupted();
            }
            cancellation.throwIfCancelled();
            Set<String> requested = artifacts.stream().map(a -> a.getGroupId() + ":" + a.getArtifactId())
                    .collect(Collectors.toSet());
            List<Jar> jars = new ArrayList<>();
            for (ArtifactResult artifact : result.getArtifactResults()) {
                Artifact a = artifact.getArtifact();
                jars.add(new Jar(a.getGroupId(), a.getArtifactId(), a.getClassifier(), a.getVersion(), a.getPath(),
                        requested.contains(a.getGroupId() + ":" + a.getArtifactId())));
            }
            return new Resolution(List.copyOf(jars), tried, settings.localRepository());
        }
    }

    /**
     * Resolves on a thread of its own, so an interrupt ends the wait at once (the listener cancels the
     * transfers at their next chunk; a read that hangs is left to its timeout), and the resolver's writes
     * to the local repository never meet an interrupted thread, on which NIO channels close.
     */
    private static DependencyResult inBackground(Resolving work) throws DependencyResolutionException, InterruptedException {
        CompletableFuture<DependencyResult> result = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                result.complete(work.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "drydock-maven-resolve");
        worker.setDaemon(true);
        worker.start();
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DependencyResolutionException resolution) {
                throw resolution;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @FunctionalInterface
    private interface Resolving {
        DependencyResult run() throws DependencyResolutionException;
    }

    private synchronized RepositorySystem system() {
        if (system == null) {
            system = new RepositorySystemSupplier().get();
        }
        return system;
    }

    @Override
    public synchronized void close() {
        if (system != null) {
            system.shutdown();
            system = null;
        }
    }

    static Artifact artifact(String coordinate) throws MagicException {
        try {
            return new DefaultArtifact(coordinate);
        } catch (IllegalArgumentException e) {
            throw MagicException.usage("Bad coordinates '" + coordinate + "': write GROUP:ARTIFACT:VERSION (or"
                    + " GROUP:ARTIFACT:EXTENSION:CLASSIFIER:VERSION), for example org.json:json:20260814.");
        }
    }

    private static String describe(RemoteRepository repository) {
        String mirrorOf = repository.getMirroredRepositories().stream().map(RemoteRepository::getId)
                .collect(Collectors.joining(", "));
        return repository.getId() + " (" + repository.getUrl() + (mirrorOf.isEmpty() ? "" : ", mirror of " + mirrorOf) + ")";
    }

    /** One paragraph: what could not be had, where it was looked for, and what to do. */
    private static MagicException failure(DependencyResolutionException e, List<String> coordinates, List<String> tried,
            MavenSettings settings, boolean offline) {
        String where = " Repositories tried: " + String.join(", ", tried) + "; local repository " + settings.localRepository()
                + (settings.files().isEmpty() ? " (no settings.xml)" : " (settings: " + settings.files().stream()
                        .map(Path::toString).collect(Collectors.joining(", ")) + ")") + ".";
        UnsolvableVersionConflictException conflict = cause(e, UnsolvableVersionConflictException.class);
        if (conflict != null) {
            return new MagicException(MagicException.Kind.MagicError, "Maven cannot pick one version of a dependency"
                    + " of " + String.join(" ", coordinates) + ": " + conflict.getMessage()
                    + ". Ask for one version of it explicitly on the %maven line, before the libraries that need it.", e);
        }
        Set<String> missing = new LinkedHashSet<>();
        Set<String> failed = new LinkedHashSet<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            collect(t, missing, failed);
            for (Throwable suppressed : t.getSuppressed()) {
                collect(suppressed, missing, failed);
            }
        }
        if (e.getResult() != null) {
            for (ArtifactResult result : e.getResult().getArtifactResults()) {
                for (Exception exception : result.getExceptions()) {
                    collect(exception, missing, failed);
                }
            }
        }
        if (!missing.isEmpty() && failed.isEmpty()) {
            return new MagicException(MagicException.Kind.MagicError, "Cannot find " + String.join(", ", missing)
                    + (coordinates.size() == 1 && !missing.contains(coordinates.get(0)) ? " (needed by " + coordinates.get(0) + ")" : "")
                    + (offline ? ", and Maven is offline, so only the local repository was searched." : ".") + where
                    + " Check the coordinates (GROUP:ARTIFACT:VERSION, as search.maven.org shows them), or name the"
                    + " repository that has it with --repo URL.", e);
        }
        String detail = !failed.isEmpty() ? String.join("; ", failed) : rootMessage(e);
        return new MagicException(MagicException.Kind.MagicError, "Cannot resolve " + String.join(" ", coordinates)
                + ": " + detail + "." + where + (offline ? " Maven is offline: only the local repository was searched."
                        : " Check the network, proxies and mirrors in settings.xml, or name a repository with --repo URL."), e);
    }

    private static void collect(Throwable t, Set<String> missing, Set<String> failed) {
        for (Throwable cause = t; cause != null; cause = cause.getCause()) {
            if (cause instanceof ArtifactNotFoundException notFound) {
                missing.add(coordinates(notFound.getArtifact()));
            } else if (cause instanceof ArtifactTransferException transfer) {
                // The pom and the jar of one artifact fail alike: one line for both.
                Artifact a = transfer.getArtifact();
                failed.add(a.getGroupId() + ":" + a.getArtifactId() + ":" + a.getVersion() + " from "
                        + transfer.getRepository().getId() + ": " + rootMessage(transfer));
            }
        }
    }

    private static String coordinates(Artifact artifact) {
        return artifact.getGroupId() + ":" + artifact.getArtifactId() + ":" + artifact.getVersion()
                + (artifact.getExtension().equals("jar") && artifact.getClassifier().isEmpty() ? ""
                        : " (" + artifact.getExtension() + (artifact.getClassifier().isEmpty() ? "" : ", " + artifact.getClassifier()) + ")");
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
        for (Throwable cause = t; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
