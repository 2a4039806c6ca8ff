package dev.drydock.magics.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.MagicFamilies;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.engine.DockerConfig;
import dev.drydock.magics.engine.DockerEngine;
import dev.drydock.magics.registry.RegistryCredentials;
import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import dev.drydock.magics.render.Table;

/** Argument parsing of %container, and what it shows, without an engine. */
class ContainerMagicTest {

    @TempDir
    Path folder;

    /** Parses like Magics does, with every constructor parameter null: only the parse is under test. */
    private static Object parse(String... args) {
        CommandLine commandLine = new CommandLine(ContainerMagic.class, new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                for (Constructor<?> constructor : type.getDeclaredConstructors()) {
                    constructor.setAccessible(true);
                    return type.cast(constructor.newInstance(new Object[constructor.getParameterCount()]));
                }
                return CommandLine.defaultFactory().create(type);
            }
        });
        return commandLine.parseArgs(args).subcommand().commandSpec().userObject();
    }

    @Test
    void everythingAfterTheImageIsTheContainersCommandUntouched() {
        ContainerRun run = (ContainerRun) parse("run", "--rm", "-e", "A=1", "-p", "8080:80", "--gpus", "all",
                "img:1", "ls", "-l", "--rm", "-e", "x");
        assertTrue(run.remove);
        assertEquals("img:1", run.image);
        assertEquals(List.of("ls", "-l", "--rm", "-e", "x"), run.command);
        assertEquals(List.of("A=1"), run.options.env);
        assertEquals(List.of("8080:80"), run.options.publish);
        assertEquals("all", run.options.gpus);
    }

    @Test
    void execPassesTheCommandsOptionsThrough() {
        ContainerCommands.Exec exec = (ContainerCommands.Exec) parse("exec", "-u", "0", "web", "sh", "-c", "echo hi");
        assertEquals("web", exec.container);
        assertEquals("0", exec.user);
        assertEquals(List.of("sh", "-c", "echo hi"), exec.command);
    }

    @Test
    void jupyterPublishesOnLoopbackWithAFreshTokenInItsEnvironment() throws Exception {
        ContainerJupyter jupyter = (ContainerJupyter) parse("jupyter", "-p", "9000", "-v", ".:/work", "img");
        Session session = new Session(folder, Map.of());
        String token = ContainerJupyter.newToken();
        assertEquals(48, token.length());
        assertTrue(!token.equals(ContainerJupyter.newToken()));
        var create = jupyter.prepare(new ContainerRequest(session, new HostUser(1000, 1000)),
                new com.github.dockerjava.core.command.CreateContainerCmdImpl(cmd -> null, null, "img"), token);
        com.fasterxml.jackson.databind.JsonNode body = new ObjectMapper()
                .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS).valueToTree(create);
        assertEquals("[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}]",
                body.path("HostConfig").path("PortBindings").path("8888/tcp").toString());
        assertEquals(List.of("jupyter", "notebook", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--allow-root"),
                new ObjectMapper().convertValue(body.path("Cmd"), List.class));
        List<?> env = new ObjectMapper().convertValue(body.path("Env"), List.class);
        assertTrue(env.contains("JUPYTER_TOKEN=" + token), env.toString());
        assertTrue(env.contains("HOME=/tmp"), env.toString());
        assertEquals(List.of(folder + ":/work:rw"), new ObjectMapper().convertValue(
                body.path("HostConfig").path("Binds"), List.class));
        assertEquals(List.of("8888"), ContainerJupyter.publish(List.of()));
        assertEquals(List.of("0.0.0.0:7000:7000", "9000:8888"), ContainerJupyter.publish(List.of("0.0.0.0:7000:7000", "9000")));
        // A full spec for Jupyter's own port is the one binding: no second, random one.
        assertEquals(List.of("0.0.0.0:9001:8888"), ContainerJupyter.publish(List.of("0.0.0.0:9001:8888")));
        assertEquals("127.0.0.1", ContainerJupyter.reachable("0.0.0.0"));
        assertEquals("[::1]", ContainerJupyter.reachable("::1"));
        assertEquals("10.1.2.3", ContainerJupyter.reachable("10.1.2.3"));
    }

    @Test
    void lsShowsATableAsTextAndHtml() throws Exception {
        Container container = new ObjectMapper().readValue("""
                {"Id": "0123456789abcdef0123", "Names": ["/web"], "Image": "drydock/busybox:1",
                 "Status": "Up 2 minutes", "Created": 1000,
                 "Ports": [{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                           {"PrivatePort": 443, "Type": "tcp"}]}
                """, Container.class);
        Table table = ContainerCommands.Ls.table(List.of(container), Instant.ofEpochSecond(1000 + 180));
        assertEquals("""
                CONTAINER ID  NAME  IMAGE              STATUS        PORTS                            CREATED
                0123456789ab  web   drydock/busybox:1  Up 2 minutes  127.0.0.1:8080->80/tcp, 443/tcp  3 minutes ago
                """, table.plain());
        assertTrue(table.html().contains("<td>127.0.0.1:8080-&gt;80/tcp, 443/tcp</td>"), table.html());
        assertEquals("", ContainerCommands.Ls.ports(new ContainerPort[0]));
    }

    @Test
    void withNoEngineEveryContainerCommandFailsAndSaysWhatToDo() throws Exception {
        DockerConfig dead = DockerConfig.resolve(Map.of("DOCKER_HOST", "tcp://127.0.0.1:1"), folder);
        Magics magics = new Magics(new Session(folder, Map.of()), MagicFamilies.ALL,
                List.of(new Docker(() -> new DockerEngine(dead)), new RegistryCredentials(), new HostUser(0, 0),
                        ImageResolver.IMAGE_NAMES));
        for (String args : List.of("ls", "run --rm img true", "logs web")) {
            MagicException e = assertThrows(MagicException.class,
                    () -> magics.run(new MagicCall("container", args, null), new RecordingNotebook()));
            assertTrue(e.getMessage().startsWith("No Docker engine answers at tcp://127.0.0.1:1"), e.getMessage());
            assertTrue(e.getMessage().contains("bin/setup-docker"), e.getMessage());
        }
    }

    @Test
    void everySubcommandAnswersHelp() throws Exception {
        Magics magics = new Magics(new Session(folder, Map.of()));
        for (String sub : List.of("run", "ls", "logs", "exec", "stop", "start", "rm", "commit", "jupyter")) {
            RecordingNotebook notebook = new RecordingNotebook();
            magics.run(new MagicCall("container", sub + " --help", null), notebook);
            assertTrue(notebook.out().startsWith("Usage: %container " + sub), notebook.out());
        }
        for (String sub : List.of("login", "pull", "push", "images", "tag", "rmi")) {
            RecordingNotebook notebook = new RecordingNotebook();
            magics.run(new MagicCall("docker", sub + " --help", null), notebook);
            assertTrue(notebook.out().startsWith("Usage: %docker " + sub), notebook.out());
        }
        RecordingNotebook run = new RecordingNotebook();
        magics.run(new MagicCall("container", "run --help", null), run);
        assertTrue(run.out().contains("%container run --rm -v ./data:/data"), run.out());
    }

    @Test
    void aFamilyWithoutSubcommandSaysWhichThereAre() {
        Magics magics = new Magics(new Session(folder, Map.of()));
        MagicException e = assertThrows(MagicException.class,
                () -> magics.run(new MagicCall("container", "", null), new RecordingNotebook()));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("run, ls, logs"), e.getMessage());
    }
}
