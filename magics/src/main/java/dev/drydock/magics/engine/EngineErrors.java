package dev.drydock.magics.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.exception.DockerException;

/**
 * The one reading of the Docker engine's error messages, for every magic. docker-java reports an engine
 * refusal as {@code Status 500: {"message":"Get \"https://…\": dial tcp: lookup …: no such host"}}; the
 * engine's sentence is the JSON body's {@code message}, whole — quotes, colons and all — which is what the
 * docker CLI prints after "Error response from daemon:".
 */
public final class EngineErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EngineErrors() {}

    /** The engine's own sentence for a refused call, whole. */
    public static String message(DockerException e) {
        return message(e.getMessage());
    }

    /** The engine's sentence out of docker-java's text of an error, or the text itself without its status prefix. */
    public static String message(String text) {
        if (text == null || text.isBlank()) {
            return "the engine gave no reason";
        }
        String body = text.replaceFirst("^Status \\d+: ", "").strip();
        if (body.startsWith("{")) {
            try {
                JsonNode json = JSON.readTree(body);
                if (json.hasNonNull("message")) {
                    return json.get("message").asText().strip();
                }
            } catch (JsonProcessingException ignored) {
                // Not the engine's JSON after all: the text as it came.
            }
        }
        return body;
    }

    /**
     * The message of any failure on the way to the engine: an engine refusal as {@link #message(DockerException)},
     * anything else (a broken connection, an ssh tunnel that died) by its innermost cause's message.
     */
    public static String message(Throwable failure) {
        if (failure instanceof DockerException docker) {
            return message(docker);
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage().strip();
    }
}
