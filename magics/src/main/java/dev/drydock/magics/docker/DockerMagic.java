package dev.drydock.magics.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Image;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.render.Table;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.engine.DockerConfig;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import dev.drydock.magics.registry.ImageTransfer;
import dev.drydock.magics.registry.RegistryCredentials;

/** {@code %docker}: images and registry logins: build, login, pull, push, images, tag, rmi. */
@Command(name = "docker",
        description = {
            "Build images, log in to registries and move images, as the docker CLI does.",
            "",
            "Examples:",
            "  %%dotenv registry.env",
            "  %%docker login 127.0.0.1:5000",
            "  %%docker tag model:v2 127.0.0.1:5000/team/model:v2",
            "  %%docker push 127.0.0.1:5000/team/model:v2"
        },
        subcommands = {DockerBuild.class, DockerMagic.Login.class, DockerMagic.Pull.class, DockerMagic.Push.class,
            DockerMagic.Images.class, DockerMagic.Tag.class, DockerMagic.Rmi.class})
public final class DockerMagic extends MagicCommand {

    /** The variable pairs {@code login} tries, in order, when none is named. */
    static final List<List<String>> DEFAULT_VARIABLES = List.of(
            List.of("REGISTRY_USERNAME", "REGISTRY_PASSWORD"),
            List.of("DOCKER_USERNAME", "DOCKER_PASSWORD"));

    final Docker docker;
    final Session session;
    final Notebook notebook;
    final RegistryCredentials credentials;
    final ImageBuilder builder;

    /** The family's collaborators, once; each verb reads them through {@link Verb#family}. */
    public DockerMagic(Docker docker, Session session, Notebook notebook, RegistryCredentials credentials,
            ImageBuilder builder) {
        this.docker = docker;
        this.session = session;
        this.notebook = notebook;
        this.credentials = credentials;
        this.builder = builder;
    }

    @Override
    protected void run() throws MagicException {
        throw MagicException.usage("Specify a subcommand: build, login, pull, push, images, tag or rmi. %docker --help says more.");
    }

    /** A verb of {@code %docker}; picocli sets {@link #family} to the command it runs under. */
    abstract static class Verb extends MagicCommand {
        @ParentCommand
        DockerMagic family;
    }

    @Command(name = "login", description = {
        "Log in to a registry with credentials from variables (%%dotenv), kept in this kernel's memory.",
        "",
        "Without --username-env/--password-env it reads REGISTRY_USERNAME and REGISTRY_PASSWORD, else "
                + "DOCKER_USERNAME and DOCKER_PASSWORD. Nothing is written to disk unless --save is given.",
        "Example:",
        "  %%dotenv",
        "  %%docker login 127.0.0.1:5000"
    })
    public static final class Login extends Verb {

        @Parameters(index = "0", arity = "0..1", paramLabel = "REGISTRY", description = "Default: Docker Hub.")
        String registry = "docker.io";

        @Option(names = "--username-env", paramLabel = "VAR", description = "The variable holding the user name.")
        String usernameVariable;

        @Option(names = "--password-env", paramLabel = "VAR", description = "The variable holding the password or token.")
        String passwordVariable;

        @Option(names = "--save", description = "Also write the login to the docker CLI's config.json (base64, not "
                + "encrypted), as docker login does without a credential helper.")
        boolean save;

        @Override
        protected void run() throws MagicException {
            List<String> names = variables();
            String username = family.session.variable(names.get(0)).orElseThrow();
            String password = family.session.variable(names.get(1)).orElseThrow();
            // From the kernel's environment rather than a .env, it is not masked yet; it is a secret all the same.
            family.session.masker().add(password);
            String key = DockerConfig.normalizeRegistry(registry);
            DockerEngine engine = family.docker.engine();
            AuthConfig auth = new AuthConfig().withRegistryAddress(key).withUsername(username).withPassword(password);
            engine.login(auth);
            family.credentials.remember(auth);
            String where = "kept in this kernel's memory";
            if (save) {
                Path file = saveToConfig(engine.config(), key, username, password);
                where += " and saved to " + file;
            }
            family.notebook.out("Logged in to " + key + " as " + username + " (from " + names.get(0) + " and "
                    + names.get(1) + "; " + where + ").\n");
        }

        private List<String> variables() throws MagicException {
            if (usernameVariable != null || passwordVariable != null) {
                if (usernameVariable == null || passwordVariable == null) {
                    throw MagicException.usage("Give both --username-env and --password-env, or neither.");
                }
                List<String> named = List.of(usernameVariable, passwordVariable);
                for (String name : named) {
                    if (family.session.variable(name).isEmpty()) {
                        throw MagicException.failed("The variable " + name + " is not set. Load it from a file with "
                                + "%dotenv FILE (a line " + name + "=...).");
                    }
                }
                return named;
            }
            for (List<String> pair : DEFAULT_VARIABLES) {
                if (family.session.variable(pair.get(0)).isPresent()
                        && family.session.variable(pair.get(1)).isPresent()) {
                    return pair;
                }
            }
            throw MagicException.failed("No registry credentials are set: %docker login reads REGISTRY_USERNAME and "
                    + "REGISTRY_PASSWORD (or DOCKER_USERNAME and DOCKER_PASSWORD). Put them in a .env file beside the "
                    + "notebook and load it with %dotenv, or name other variables with --username-env and "
                    + "--password-env.");
        }

        /** Adds an {@code auths} entry to config.json as {@code docker login} does, keeping the rest of the file. */
        static Path saveToConfig(DockerConfig config, String registry, String username, String password)
                throws MagicException {
            Path file = config.configDir().resolve("config.json");
            ObjectMapper json = new ObjectMapper();
            try {
                ObjectNode root = Files.isRegularFile(file) ? (ObjectNode) json.readTree(file.toFile())
                        : json.createObjectNode();
                if (root.hasNonNull("credsStore") || root.path("credHelpers").hasNonNull(registry)) {
                    throw MagicException.failed(file + " sends " + registry + " credentials to a credential helper; "
                            + "Drydock does not write there. Run `docker login " + registry + "` in a terminal instead.");
                }
                String auth = Base64.getEncoder().encodeToString(
                        (username + ":" + password).getBytes(StandardCharsets.UTF_8));
                root.withObject("/auths").putObject(registry).put("auth", auth);
                Files.createDirectories(file.getParent());
                AtomicFiles.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root), false,
                        AtomicFiles.OWNER_ONLY);
                return file;
            } catch (IOException | ClassCastException e) {
                throw MagicException.failed("Cannot update " + file + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "pull", description = {"Pull an image, with one live progress display."})
    public static final class Pull extends Verb {

        @Parameters(index = "0", paramLabel = "IMAGE")
        String image;

        @Override
        protected void run() throws MagicException {
            ImageTransfer.pull(family.docker.engine(), family.credentials, image, family.notebook);
        }
    }

    @Command(name = "push", description = {"Push an image to its registry, with one live progress display.",
        "Log in first (%%docker login REGISTRY) unless the docker CLI is logged in there; without either,",
        "an Azure Container Registry (*.azurecr.io) takes the Azure identity's token (az login, or",
        "AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET), as az acr login does."})
    public static final class Push extends Verb {

        @Parameters(index = "0", paramLabel = "IMAGE", description = "REGISTRY/REPO[:TAG]")
        String image;

        @Override
        protected void run() throws MagicException {
            ImageTransfer.push(family.docker.engine(), family.credentials, image, family.notebook);
        }
    }

    @Command(name = "images", description = {"List the engine's images: repository, tag, id, created, size."})
    public static final class Images extends Verb {

        @Option(names = {"-a", "--all"}, description = "Also intermediate images.")
        boolean all;

        @Override
        protected void run() throws MagicException {
            List<Image> images = family.docker.engine().client().listImagesCmd().withShowAll(all).exec();
            family.notebook.display(table(images, Instant.now()).bundle(), null);
        }

        static Table table(List<Image> images, Instant now) {
            List<List<String>> rows = new ArrayList<>();
            for (Image image : images) {
                String id = image.getId().replaceFirst("^sha256:", "");
                id = id.length() > 12 ? id.substring(0, 12) : id;
                String created = Table.ago(
                        Instant.ofEpochSecond(image.getCreated() == null ? 0 : image.getCreated()), now);
                String size = Table.size(image.getSize() == null ? 0 : image.getSize());
                String[] tags = image.getRepoTags() == null || image.getRepoTags().length == 0
                        ? new String[] {"<none>:<none>"} : image.getRepoTags();
                for (String repoTag : tags) {
                    int colon = repoTag.lastIndexOf(':');
                    rows.add(List.of(repoTag.substring(0, colon), repoTag.substring(colon + 1), id, created, size));
                }
            }
            rows.sort((a, b) -> (a.get(0) + ":" + a.get(1)).compareTo(b.get(0) + ":" + b.get(1)));
            return new Table(List.of("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"), rows);
        }
    }

    @Command(name = "tag", description = {"Give an image another name, such as REGISTRY/REPO:TAG before a push."})
    public static final class Tag extends Verb {

        @Parameters(index = "0", paramLabel = "SOURCE")
        String source;

        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Override
        protected void run() throws MagicException {
            ImageTransfer.Reference reference = ImageTransfer.Reference.parse(target);
            if (reference.tag() == null) {
                throw MagicException.usage("A tag cannot name a digest: " + target);
            }
            try {
                family.docker.engine().client().tagImageCmd(source, reference.repository(), reference.tag()).exec();
            } catch (DockerException e) {
                throw new MagicException(MagicException.Kind.MagicError, "Tagging " + source + " as " + target
                        + " failed: " + EngineErrors.message(e), e);
            }
            family.notebook.out("Tagged " + source + " as " + reference + ".\n");
        }
    }

    @Command(name = "rmi", description = {"Remove images (untag them; the layers go with the last name)."})
    public static final class Rmi extends Verb {

        @Option(names = {"-f", "--force"}, description = "Also when containers use them or they have several names.")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "IMAGE")
        List<String> images;

        @Override
        protected void run() throws MagicException {
            DockerClient client = family.docker.engine().client();
            for (String image : images) {
                try {
                    client.removeImageCmd(image).withForce(force).exec();
                } catch (DockerException e) {
                    throw new MagicException(MagicException.Kind.MagicError, "Removing " + image + " failed: "
                            + EngineErrors.message(e), e);
                }
                family.notebook.out("Removed " + image + "\n");
            }
        }
    }
}
