package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The docker CLI as the oracle of what the engine said: Drydock must show the same sentence. */
public final class DockerCli {

    private static final String PREFIX = "Error response from daemon: ";

    private DockerCli() {}

    /** Runs a docker CLI command that must fail, and returns the engine's sentence it printed. */
    public static String error(Path dockerConfig, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker", "--config", dockerConfig.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, process.waitFor(), "docker " + String.join(" ", args) + " should fail: " + output);
        int at = output.indexOf(PREFIX);
        assertTrue(at >= 0, output);
        return output.substring(at + PREFIX.length()).lines().findFirst().orElseThrow().strip();
    }
}
