package dev.drydock.magics.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** docker-java's texts of engine errors, as recorded from Docker 20.10, read back to the engine's sentence. */
class EngineErrorsTest {

    @Test
    void theWholeMessageWithItsEscapedQuotes() {
        // docker-java puts "Status 500: " before the body itself.
        String recorded = "{\"message\":\"Get \\\"https://registry-1.docker.io/v2/\\\": dial tcp: lookup "
                + "registry-1.docker.io on 10.255.255.53:53: no such host\"}\n";
        assertEquals("Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on "
                + "10.255.255.53:53: no such host", EngineErrors.message(new InternalServerErrorException(recorded)));
        assertEquals("Head \"http://127.0.0.1:5000/v2/nothing/manifests/1\": no basic auth credentials",
                EngineErrors.message("Status 500: {\"message\":\"Head \\\"http://127.0.0.1:5000/v2/nothing/manifests/1"
                        + "\\\": no basic auth credentials\"}"));
    }

    @Test
    void textThatIsNotTheEnginesJsonStaysAsItIs() {
        assertEquals("No such container: x", EngineErrors.message(new NotFoundException("No such container: x")));
        assertEquals("{not json", EngineErrors.message("Status 500: {not json"));
        assertEquals("the engine gave no reason", EngineErrors.message((String) null));
    }

    @Test
    void otherFailuresByTheirInnermostCause() {
        assertEquals("Connection refused", EngineErrors.message(
                new RuntimeException("wrapped", new IOException("Connection refused"))));
        assertEquals("IOException", EngineErrors.message(new IOException()));
    }
}
