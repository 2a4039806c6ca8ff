package dev.drydock.magics.env;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.drydock.magics.Cancellation;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.container.Containers;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.engine.EngineErrors;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs a short shell script in a throwaway container of an image and returns what it printed: how
 * {@code %env verify}, {@code lock} and {@code diff} look inside an image, and how a base image is asked
 * which conda front end it has.
 */
final class ImageProbe {

    record Result(int status, String out, String err) {}

    /**
     * Lists pip's packages ({@code @@pip}, JSON), conda's ({@code @@conda}, JSON, where a front end exists)
     * and dpkg's ({@code @@dpkg}, name TAB version). Each section may be empty.
     */
    static final String PACKAGES = """
            PY=$(command -v python || command -v python3)
            echo @@pip
            [ -n "$PY" ] && "$PY" -m pip list --format=json --disable-pip-version-check 2>/dev/null
            echo; echo @@conda
            for t in micromamba mamba conda; do
              if command -v $t >/dev/null 2>&1; then $t list -n base --json 2>/dev/null; break; fi
            done
            echo; echo @@dpkg
            command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W -f='${Package}\\t${Version}\\n' 2>/dev/null
            exit 0
            """;

    /** Prints the first conda front end on the image's PATH; exits 3 when there is none. */
    static final String CONDA_TOOL = """
            for t in micromamba mamba conda; do
              if command -v $t >/dev/null 2>&1; then echo $t; exit 0; fi
            done
            exit 3
            """;

    private ImageProbe() {}

    static Result run(DockerEngine engine, String image, String script, String session, Cancellation cancellation)
            throws MagicException {
        DockerClient docker = engine.client();
        String id;
        try {
            // Our own shell as entrypoint: an image whose entrypoint is "python" or a server must still answer.
            id = docker.createContainerCmd(image)
                    .withEntrypoint("/bin/sh", "-c")
                    .withCmd(script)
                    .withLabels(Map.of("dev.drydock.session", session, "dev.drydock.probe", "env"))
                    .exec().getId();
        } catch (DockerException e) {
            throw MagicException.failed("Cannot start a container of " + image + " to look inside it: "
                    + EngineErrors.message(e));
        }
        try {
            docker.startContainerCmd(id).exec();
            int status = DockerEngine.await(docker.waitContainerCmd(id).exec(new WaitContainerResultCallback()),
                    cancellation).awaitStatusCode();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            DockerEngine.await(docker.logContainerCmd(id).withStdOut(true).withStdErr(true)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            (frame.getStreamType() == StreamType.STDERR ? err : out).writeBytes(frame.getPayload());
                        }
                    }), cancellation);
            return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (DockerException e) {
            throw MagicException.failed("Looking inside " + image + " failed: " + EngineErrors.message(e));
        } finally {
            Containers.removeQuietly(docker, id);
        }
    }
}
