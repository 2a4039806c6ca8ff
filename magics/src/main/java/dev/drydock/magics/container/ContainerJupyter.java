package dev.drydock.magics.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.Notebook;
import dev.drydock.magics.engine.DockerEngine;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.drydock.magics.render.Table;

/**
 * {@code %container jupyter}: a Jupyter server in a container, published on 127.0.0.1 only and guarded by a
 * fresh random token, instead of the seeds' {@code -p 9000:8888} open to the network.
 */
@Command(name = "jupyter",
        description = {
            "Start Jupyter in a container on 127.0.0.1 with a fresh token and print its URL.",
            "",
            "The image must have Jupyter (jupyter notebook, or jupyter lab with --lab). -p PORT picks the host port",
            "(default: a free one); other -p specs publish more ports as in run. Example:",
            "  %%container jupyter -p 9000 -v .:/work -w /work IMAGE"
        })
public final class ContainerJupyter extends ContainerMagic.Verb {

    static final int JUPYTER_PORT = 8888;
    private static final int READY_SECONDS = 60;

    @Mixin
    ContainerOptions options;

    @Option(names = "--lab", description = "Run JupyterLab instead of the classic notebook.")
    boolean lab;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "An image with Jupyter (or a %%env environment's name).")
    String image;

    /** A token as Jupyter makes its own: 24 random bytes in hex. */
    static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** The Jupyter command line; the token goes in JUPYTER_TOKEN, which notebook 5+ and jupyter_server read. */
    static List<String> command(boolean lab) {
        return List.of("jupyter", lab ? "lab" : "notebook", "--ip=0.0.0.0", "--port=" + JUPYTER_PORT, "--no-browser",
                "--allow-root");
    }

    /**
     * Bare numbers in -p are the host port for Jupyter; a full spec whose container port is 8888 is Jupyter's
     * too (so {@code -p 0.0.0.0:9001:8888} binds that and nothing else); with neither, the engine picks a free
     * port on 127.0.0.1.
     */
    static List<String> publish(List<String> specs) throws MagicException {
        List<String> publish = new ArrayList<>();
        boolean jupyter = false;
        for (String spec : specs) {
            if (spec.matches("\\d+")) {
                publish.add(spec + ":" + JUPYTER_PORT);
                jupyter = true;
            } else {
                publish.add(spec);
                jupyter |= ContainerRequest.port(spec).getExposedPort().equals(ExposedPort.tcp(JUPYTER_PORT));
            }
        }
        if (!jupyter) {
            publish.add(String.valueOf(JUPYTER_PORT));
        }
        return publish;
    }

    /** Prepares the create request: command, token, ports, and a writable HOME for a mapped uid. */
    CreateContainerCmd prepare(ContainerRequest request, CreateContainerCmd create, String token) throws MagicException {
        options.publish = publish(options.publish);
        List<String> env = new ArrayList<>();
        if (options.user == null) {
            // The host's uid has no home in the image; Jupyter needs one it can write its runtime files to.
            env.add("HOME=/tmp");
        }
        env.addAll(options.env);
        env.add("JUPYTER_TOKEN=" + token);
        options.env = env;
        return request.apply(create, options).withCmd(command(lab));
    }

    @Override
    protected void run() throws MagicException {
        String resolved = family.image(image);
        DockerEngine engine = family.docker.engine();
        DockerClient client = engine.client();
        String token = newToken();
        ContainerRequest request = family.request(engine, options, resolved);
        String id = family.create(engine, request, prepare(request, client.createContainerCmd(resolved), token), resolved);
        Notebook notebook = family.notebook;
        boolean ready = false;
        try {
            try {
                Containers.start(client, id, resolved);
            } catch (MagicException e) {
                if (e.getMessage().contains("executable file not found")) {
                    throw MagicException.failed(resolved + " has no jupyter command. Use an image with Jupyter "
                            + "(jupyter/base-notebook, or an %env environment of --stage eo, which checks for Jupyter).");
                }
                throw e;
            }
            InspectContainerResponse inspect = client.inspectContainerCmd(id).exec();
            String name = inspect.getName().replaceFirst("^/", "");
            Ports.Binding bound = hostPort(inspect.getNetworkSettings().getPorts());
            String address = reachable(bound.getHostIp());
            String port = bound.getHostPortSpec();
            String url = "http://" + address + ":" + port + "/?token=" + token;
            Optional<String> remote = engine.config().remoteMachine();
            if (remote.isPresent()) {
                // The port is the engine's machine's: this kernel cannot knock on it, the person's ssh can.
                notebook.out("Jupyter is starting in " + name + " on " + remote.get() + ", published there on "
                        + bound.getHostIp() + ":" + port + ". Reach it from your machine through ssh: ssh -N -L " + port
                        + ":127.0.0.1:" + port + " " + sshTarget(engine) + ", then open " + url + "\n"
                        + "Stop it with %container rm -f " + name + "\n");
                ready = true;
                return;
            }
            notebook.out("Waiting for Jupyter in " + name + " (" + Containers.shortId(id) + "), published on "
                    + bound.getHostIp() + ":" + port + "...\n");
            awaitReady(client, id, address, port);
            Map<String, Object> bundle = new LinkedHashMap<>();
            bundle.put("text/plain", "Jupyter is running in " + name + ": " + url);
            bundle.put("text/html", "Jupyter is running in <code>" + Table.escape(name) + "</code>: <a href=\""
                    + Table.escape(url) + "\" target=\"_blank\">" + Table.escape(url) + "</a>");
            notebook.display(bundle, null);
            notebook.out("Stop it with %container rm -f " + name + "\n");
            ready = true;
        } finally {
            if (!ready) {
                Containers.removeQuietly(client, id);
            }
        }
    }

    /** The host address and port the engine bound for Jupyter's 8888 (IPv4 first, as the docker CLI lists it). */
    static Ports.Binding hostPort(Ports ports) throws MagicException {
        Ports.Binding[] bindings = ports == null ? null : ports.getBindings().get(ExposedPort.tcp(JUPYTER_PORT));
        if (bindings == null || bindings.length == 0) {
            throw MagicException.failed("The engine published no host port for Jupyter's " + JUPYTER_PORT + ".");
        }
        for (Ports.Binding binding : bindings) {
            if (!binding.getHostIp().contains(":")) {
                return binding;
            }
        }
        return bindings[0];
    }

    /** USER@HOST of an ssh:// engine (as ssh -L takes it), or the remote engine's host. */
    private static String sshTarget(DockerEngine engine) {
        java.net.URI host = engine.config().host();
        return (host.getUserInfo() == null ? "" : host.getUserInfo() + "@") + host.getHost()
                + (host.getPort() == -1 || !"ssh".equals(host.getScheme()) ? "" : " -p " + host.getPort());
    }

    /** Where this machine reaches a bound address: every interface includes the loopback. */
    static String reachable(String hostIp) {
        if (hostIp == null || hostIp.isEmpty() || hostIp.equals("0.0.0.0")) {
            return ContainerRequest.LOOPBACK;
        }
        if (hostIp.equals("::")) {
            return "[::1]";
        }
        return hostIp.contains(":") ? "[" + hostIp + "]" : hostIp;
    }

    /** Waits until Jupyter answers HTTP, failing with its last log lines when the container exits first. */
    private void awaitReady(DockerClient client, String id, String address, String port) throws MagicException {
        long deadline = System.nanoTime() + READY_SECONDS * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            family.notebook.cancellation().throwIfCancelled();
            if (answers(address, port)) {
                return;
            }
            Boolean running = client.inspectContainerCmd(id).exec().getState().getRunning();
            if (!Boolean.TRUE.equals(running)) {
                throw MagicException.failed("Jupyter's container exited before it answered. Does the image have "
                        + "Jupyter? Its last output:\n" + Containers.lastLogLines(client, id));
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw MagicException.interrupted();
            }
        }
        throw MagicException.failed("Jupyter did not answer on " + address + ":" + port + " within " + READY_SECONDS
                + " s. Its last output:\n" + Containers.lastLogLines(client, id));
    }

    private static boolean answers(String address, String port) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://" + address + ":" + port + "/api")
                    .toURL().openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(1000);
            connection.setInstanceFollowRedirects(false);
            try {
                return connection.getResponseCode() > 0;
            } finally {
                connection.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

}
