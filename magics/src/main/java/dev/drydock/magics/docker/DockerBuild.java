package dev.drydock.magics.docker;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import dev.drydock.magics.env.BuildContext;
import dev.drydock.magics.env.BuildLog;
import dev.drydock.magics.env.ImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code %docker build}: a user's own Dockerfile, with the docker CLI's flags. The context is a copy of
 * what {@code .dockerignore} lets through ({@link BuildContext#snapshot}); secrets go through BuildKit.
 */
@Command(name = "build", description = {
    "Build an image from a Dockerfile, as docker build does: the context is PATH (default the notebook's",
    "folder) less what its .dockerignore excludes; one live progress display; on failure the failing step",
    "and its last lines. A build with --secret runs through the docker CLI with BuildKit, which mounts the",
    "secret into the RUN steps that ask for it (RUN --mount=type=secret,id=ID) and keeps it out of every layer.",
    "",
    "Examples:",
    "  %%docker build -t score:1 -f docker/score/Dockerfile .",
    "  %%docker build -t train:dev --target train --build-arg PYTHON=3.11 .",
    "  %%docker build -t app:1 --secret id=pip_index,env=PIP_INDEX_URL ."})
public final class DockerBuild extends DockerMagic.Verb {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH", description = "The context folder (default .).")
    String path = ".";

    @Option(names = {"-t", "--tag"}, paramLabel = "NAME[:TAG]", description = "A name for the image. Repeatable.")
    List<String> tags = new ArrayList<>();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The Dockerfile (default PATH/Dockerfile).")
    String file;

    @Option(names = "--target", paramLabel = "STAGE", description = "The stage of a multi-stage Dockerfile to build.")
    String target;

    @Option(names = "--build-arg", paramLabel = "K=V", description = "A build argument (never a secret). Repeatable.")
    Map<String, String> buildArgs = new LinkedHashMap<>();

    @Option(names = "--secret", paramLabel = "id=ID[,env=VAR|,src=FILE]", description = "A BuildKit secret from a"
            + " variable (%%dotenv, default VAR=ID) or a file. Repeatable.")
    List<String> secrets = new ArrayList<>();

    @Option(names = "--label", paramLabel = "K=V", description = "A label on the image. Repeatable.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--no-cache", description = "Do not use the build cache.")
    boolean noCache;

    @Option(names = "--pull", description = "Always pull newer versions of the base images.")
    boolean pull;

    @Override
    protected void run() throws MagicException {
        Path context = family.session.resolve(path);
        Path dockerfile = file == null ? context.resolve("Dockerfile") : family.session.resolve(file);
        Map<String, String> secretValues = secretValues();
        for (String value : buildArgs.values()) {
            if (!family.session.masker().mask(value).equals(value)) {
                throw MagicException.usage("A build argument holds a secret; the engine keeps build arguments in the"
                        + " image history. Pass it with --secret id=NAME,env=VAR and RUN --mount=type=secret,id=NAME.");
            }
        }
        String title = tags.isEmpty() ? dockerfile.getFileName().toString() : String.join(", ", tags);
        try (BuildContext snapshot = BuildContext.snapshot(context, dockerfile);
                BuildLog log = new BuildLog(title, family.notebook)) {
            String imageId = family.builder.build(family.docker.engine(), new ImageBuilder.Request(snapshot.dir(), tags,
                    snapshot.dockerfile(), target, labels, buildArgs, secretValues, noCache, pull), log,
                    family.notebook.cancellation());
            log.finish("Built");
            family.notebook.out(String.format("Built %s%s in %.1f s (%d files in the context).%n", imageId,
                    tags.isEmpty() ? "" : " as " + String.join(", ", tags), log.elapsed(), snapshot.files().size()));
        }
    }

    /** {@code id=ID[,env=VAR|,src=FILE]} as the docker CLI reads it; the value never reaches a command line. */
    private Map<String, String> secretValues() throws MagicException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String spec : secrets) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String part : spec.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw MagicException.usage("Bad --secret " + spec + ": expected id=ID[,env=VAR] or id=ID,src=FILE.");
                }
                fields.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
            }
            String id = fields.remove("id");
            if (id == null || id.isEmpty() || !Session.VARIABLE_NAME.matcher(id).matches()) {
                throw MagicException.usage("Bad --secret " + spec + ": it needs id=ID, ID being letters, digits and _.");
            }
            String src = fields.remove("src");
            String source = fields.remove("source");
            String env = fields.remove("env");
            if (!fields.isEmpty()) {
                throw MagicException.usage("Bad --secret " + spec + ": unknown field " + fields.keySet().iterator().next()
                        + " (use id, env or src).");
            }
            String fileName = src != null ? src : source;
            if (fileName != null) {
                Path secretFile = family.session.resolve(fileName);
                try {
                    String value = Files.readString(secretFile, StandardCharsets.UTF_8);
                    family.session.masker().add(value.strip());
                    values.put(id, value);
                } catch (IOException e) {
                    throw MagicException.failed("Cannot read the secret " + id + " from " + secretFile + ": " + e.getMessage());
                }
            } else {
                String variable = env == null ? id : env;
                String value = family.session.variable(variable).orElseThrow(() -> MagicException.usage("The secret " + id
                        + " comes from the variable " + variable + ", which is not set: load it with %dotenv."));
                family.session.masker().add(value);
                values.put(id, value);
            }
        }
        return values;
    }
}
