package dev.drydock.kernel.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The connection file Jupyter writes before it starts the kernel: where to bind and how to sign.
 *
 * <p>{@link #toString()} leaves the key out, so logging the record never leaks it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ConnectionInfo(
        @JsonProperty("transport") String transport,
        @JsonProperty("ip") String ip,
        @JsonProperty("shell_port") int shellPort,
        @JsonProperty("iopub_port") int iopubPort,
        @JsonProperty("stdin_port") int stdinPort,
        @JsonProperty("control_port") int controlPort,
        @JsonProperty("hb_port") int hbPort,
        @JsonProperty("key") String key,
        @JsonProperty("signature_scheme") String signatureScheme) {

    public ConnectionInfo {
        transport = transport == null ? "tcp" : transport;
        ip = ip == null ? "127.0.0.1" : ip;
        key = key == null ? "" : key;
        signatureScheme = signatureScheme == null || signatureScheme.isEmpty() ? "hmac-sha256" : signatureScheme;
    }

    public static ConnectionInfo read(Path file) throws IOException {
        return new ObjectMapper().readValue(file.toFile(), ConnectionInfo.class);
    }

    /** The ZeroMQ endpoint of one of the ports, {@code tcp://127.0.0.1:5555} (or {@code ipc://ip-5555}). */
    public String endpoint(int port) {
        // Jupyter's ipc transport names files "<ip>-<port>" (jupyter_client.connect).
        return transport.equals("ipc") ? "ipc://" + ip + "-" + port : transport + "://" + ip + ":" + port;
    }

    @Override
    public String toString() {
        return "ConnectionInfo[" + transport + "://" + ip + " shell=" + shellPort + " iopub=" + iopubPort
                + " stdin=" + stdinPort + " control=" + controlPort + " hb=" + hbPort + " " + signatureScheme + "]";
    }
}
