package dev.drydock.magics.maven;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.maven.settings.Mirror;
import org.apache.maven.settings.Profile;
import org.apache.maven.settings.Repository;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.building.DefaultSettingsBuilderFactory;
import org.apache.maven.settings.building.DefaultSettingsBuildingRequest;
import org.apache.maven.settings.building.SettingsBuildingException;
import org.apache.maven.settings.building.SettingsProblem;
import org.eclipse.aether.repository.AuthenticationSelector;
import org.eclipse.aether.repository.MirrorSelector;
import org.eclipse.aether.repository.ProxySelector;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.repository.RepositoryPolicy;
import org.eclipse.aether.util.repository.AuthenticationBuilder;
import org.eclipse.aether.util.repository.DefaultAuthenticationSelector;
import org.eclipse.aether.util.repository.DefaultMirrorSelector;
import org.eclipse.aether.util.repository.DefaultProxySelector;

/**
 * What Maven itself would read before resolving: the user's {@code settings.xml} (and the global one of a
 * Maven installation), built by Maven's own settings builder, so mirrors, repositories of active profiles,
 * servers' credentials, proxies, {@code localRepository} and {@code offline} mean what they mean to
 * {@code mvn}.
 *
 * <p>Where to look is taken from the session's variables, so a notebook can {@code %setenv} them and a
 * test can set them in the kernel's environment: {@value #SETTINGS} names the user settings file in place of
 * {@code ~/.m2/settings.xml}, {@value #REPO_LOCAL} the local repository (as {@code -Dmaven.repo.local} does
 * for {@code mvn}, which is honoured too).
 */
record MavenSettings(Path localRepository, boolean offline, List<RemoteRepository> repositories,
        MirrorSelector mirrors, ProxySelector proxies, AuthenticationSelector authentication, List<Path> files) {

    static final String SETTINGS = "DRYDOCK_MAVEN_SETTINGS";
    static final String REPO_LOCAL = "DRYDOCK_MAVEN_REPO_LOCAL";
    static final RemoteRepository CENTRAL = new RemoteRepository.Builder("central", "default",
            "https://repo.maven.apache.org/maven2/").setSnapshotPolicy(new RepositoryPolicy(false, null, null)).build();

    static MavenSettings read(Session session) throws MagicException {
        Path home = Path.of(System.getProperty("user.home"));
        Path userFile = session.variable(SETTINGS).map(session::resolve).orElse(home.resolve(".m2/settings.xml"));
        if (session.variable(SETTINGS).isPresent() && !Files.isRegularFile(userFile)) {
            throw MagicException.failed(SETTINGS + " names " + userFile + ", which is not a file. Point it at a"
                    + " Maven settings.xml, or unset it to use ~/.m2/settings.xml.");
        }
        Path globalFile = session.variable("MAVEN_HOME").or(() -> session.variable("M2_HOME"))
                .map(dir -> Path.of(dir, "conf", "settings.xml")).orElse(null);

        DefaultSettingsBuildingRequest request = new DefaultSettingsBuildingRequest();
        request.setUserSettingsFile(userFile.toFile());
        if (globalFile != null) {
            request.setGlobalSettingsFile(globalFile.toFile());
        }
        // ${user.home} and ${env.NAME} in settings.xml, as Maven interpolates them.
        Properties properties = new Properties();
        properties.putAll(System.getProperties());
        session.subprocessEnvironment().forEach((name, value) -> properties.put("env." + name, value));
        request.setSystemProperties(properties);
        Settings settings;
        try {
            settings = new DefaultSettingsBuilderFactory().newInstance().build(request).getEffectiveSettings();
        } catch (SettingsBuildingException e) {
            String problems = e.getProblems().stream().map(SettingsProblem::toString).collect(Collectors.joining("; "));
            throw new MagicException(MagicException.Kind.MagicError, "Cannot read the Maven settings (" + userFile
                    + (globalFile == null ? "" : ", " + globalFile) + "): " + problems, e);
        }

        Path localRepository = session.variable(REPO_LOCAL).map(session::resolve)
                .or(() -> java.util.Optional.ofNullable(System.getProperty("maven.repo.local")).map(Path::of))
                .or(() -> java.util.Optional.ofNullable(settings.getLocalRepository()).filter(s -> !s.isBlank()).map(Path::of))
                .orElse(home.resolve(".m2/repository"));

        List<RemoteRepository> repositories = new ArrayList<>();
        repositories.add(CENTRAL);
        Set<String> active = new LinkedHashSet<>(settings.getActiveProfiles());
        for (Profile profile : settings.getProfiles()) {
            boolean byDefault = profile.getActivation() != null && profile.getActivation().isActiveByDefault();
            if (active.contains(profile.getId()) || byDefault && active.isEmpty()) {
                for (Repository repository : profile.getRepositories()) {
                    repositories.add(remote(repository));
                }
            }
        }

        DefaultMirrorSelector mirrors = new DefaultMirrorSelector();
        for (Mirror mirror : settings.getMirrors()) {
            mirrors.add(mirror.getId(), mirror.getUrl(), mirror.getLayout(), false, mirror.isBlocked(),
                    mirror.getMirrorOf(), mirror.getMirrorOfLayouts());
        }
        DefaultProxySelector proxies = new DefaultProxySelector();
        for (org.apache.maven.settings.Proxy proxy : settings.getProxies()) {
            if (proxy.isActive()) {
                proxies.add(new org.eclipse.aether.repository.Proxy(proxy.getProtocol(), proxy.getHost(), proxy.getPort(),
                        new AuthenticationBuilder().addUsername(proxy.getUsername()).addPassword(proxy.getPassword()).build()),
                        proxy.getNonProxyHosts());
            }
        }
        DefaultAuthenticationSelector authentication = new DefaultAuthenticationSelector();
        for (Server server : settings.getServers()) {
            authentication.add(server.getId(), new AuthenticationBuilder().addUsername(server.getUsername())
                    .addPassword(server.getPassword()).addPrivateKey(server.getPrivateKey(), server.getPassphrase()).build());
        }
        List<Path> files = new ArrayList<>();
        for (Path file : new Path[] {globalFile, userFile}) {
            if (file != null && Files.isRegularFile(file)) {
                files.add(file);
            }
        }
        return new MavenSettings(localRepository, settings.isOffline(), List.copyOf(repositories), mirrors, proxies,
                authentication, List.copyOf(files));
    }

    private static RemoteRepository remote(Repository repository) {
        return new RemoteRepository.Builder(repository.getId(), repository.getLayout(), repository.getUrl())
                .setReleasePolicy(policy(repository.getReleases()))
                .setSnapshotPolicy(policy(repository.getSnapshots()))
                .build();
    }

    private static RepositoryPolicy policy(org.apache.maven.settings.RepositoryPolicy policy) {
        if (policy == null) {
            return new RepositoryPolicy();
        }
        return new RepositoryPolicy(policy.isEnabled(), policy.getUpdatePolicy(), policy.getChecksumPolicy());
    }

    /** A repository given on the {@code %maven} line: {@code [ID=]URL}; without an id, one made from the URL. */
    static RemoteRepository fromOption(String option) throws MagicException {
        int equals = option.indexOf('=');
        int scheme = option.indexOf("://");
        String id = equals > 0 && (scheme < 0 || equals < scheme) ? option.substring(0, equals) : null;
        String url = id == null ? option : option.substring(equals + 1);
        if (!url.matches("(?i)(https?|file)://.+")) {
            throw MagicException.usage("--repo takes [ID=]URL with an http, https or file URL, not '" + option
                    + "'. For example --repo https://maven.example.com/releases or --repo local=file:///path/to/repo.");
        }
        if (id == null) {
            id = url.replaceFirst("(?i)^[a-z]+://", "").replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        }
        return new RemoteRepository.Builder(id, "default", url).build();
    }
}
