package dev.drydock.kernel.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.kernel.protocol.WireCodec.RejectedMessageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WireCodecTest {

    final ObjectMapper json = new ObjectMapper();
    final WireCodec codec = new WireCodec(json, new Signer("secret-key", "hmac-sha256"));
    final MessageFactory factory = new MessageFactory(json, "kernel-session", "me");

    @Test
    void theDigestCoversThePartsInOrderAsOneStream() {
        Signer signer = new Signer("key", "hmac-sha256");
        assertEquals(signer.sign("abcd".getBytes()), signer.sign("ab".getBytes(), "cd".getBytes()));
        assertFalse(signer.sign("abcd".getBytes()).equals(signer.sign("cd".getBytes(), "ab".getBytes())));
        assertTrue(signer.verify(signer.sign("x".getBytes()).getBytes(), "x".getBytes()));
        assertEquals("", new Signer("", "hmac-sha256").sign("x".getBytes()));
    }

    @Test
    void knownDigest() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                new Signer("Jefe", "hmac-sha256").sign("what do ya want ".getBytes(), "for nothing?".getBytes()));
    }

    @Test
    void encodeThenDecodeRoundTrips() throws Exception {
        Message message = factory.publish(json.createObjectNode(), "stream",
                json.createObjectNode().put("name", "stdout").put("text", "héllo"));
        Message back = codec.decode(codec.encode(message));

        assertEquals(message.header(), back.header());
        assertEquals("héllo", back.content().path("text").asText());
        assertArrayEquals("kernel.kernel-session.stream".getBytes(), back.identities().get(0));
        assertEquals("5.4", back.header().path("version").asText());
        assertEquals("kernel-session", back.header().path("session").asText());
    }

    @Test
    void aReplayedSignedMessageIsRejected() throws Exception {
        List<byte[]> frames = codec.encode(factory.publish(json.createObjectNode(), "status",
                json.createObjectNode().put("execution_state", "idle")));
        codec.decode(frames);

        RejectedMessageException replay = assertThrows(RejectedMessageException.class, () -> codec.decode(frames));
        assertTrue(replay.getMessage().contains("duplicate signature"), replay.getMessage());
    }

    @Test
    void aStringOverJacksonsDefaultLimitIsRead() throws Exception {
        String body = "x".repeat(25_000_000);
        Message message = factory.publish(json.createObjectNode(), "execute_request",
                json.createObjectNode().put("code", "%%writefile big.txt\n" + body));

        assertEquals(body.length() + 20, codec.decode(codec.encode(message)).content().path("code").asText().length());
    }

    @Test
    void tamperedMissingOrForeignSignaturesAreRejected() {
        List<byte[]> frames = new ArrayList<>(codec.encode(factory.publish(json.createObjectNode(), "status",
                json.createObjectNode().put("execution_state", "idle"))));
        int delimiter = 1;

        List<byte[]> tampered = new ArrayList<>(frames);
        tampered.set(delimiter + 5, "{\"execution_state\":\"busy\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(assertThrows(RejectedMessageException.class, () -> codec.decode(tampered)).getMessage().contains("wrong"));

        List<byte[]> unsigned = new ArrayList<>(frames);
        unsigned.set(delimiter + 1, new byte[0]);
        assertTrue(assertThrows(RejectedMessageException.class, () -> codec.decode(unsigned)).getMessage().contains("missing"));

        WireCodec other = new WireCodec(json, new Signer("other-key", "hmac-sha256"));
        assertThrows(RejectedMessageException.class, () -> other.decode(frames));
    }

    @Test
    void malformedFramesAreRejectedNotThrown() throws Exception {
        Signer signer = new Signer("secret-key", "hmac-sha256");
        byte[] header = json.writeValueAsBytes(factory.header("execute_request"));
        byte[] empty = "{}".getBytes();
        for (byte[] content : List.of("{oops".getBytes(), "[]".getBytes(), "".getBytes())) {
            List<byte[]> frames = List.of(WireCodec.DELIMITER, signer.sign(header, empty, empty, content).getBytes(),
                    header, empty, empty, content);
            assertThrows(RejectedMessageException.class, () -> codec.decode(frames));
        }
        assertThrows(RejectedMessageException.class, () -> codec.decode(List.of("x".getBytes())));
        assertThrows(RejectedMessageException.class, () -> codec.decode(List.of(WireCodec.DELIMITER, new byte[0])));
        byte[] noType = "{\"msg_id\": \"1\"}".getBytes();
        assertThrows(RejectedMessageException.class, () -> codec.decode(List.of(WireCodec.DELIMITER,
                signer.sign(noType, empty, empty, empty).getBytes(), noType, empty, empty, empty)));
    }

    @Test
    void anEmptyKeyTurnsSigningOff() throws Exception {
        WireCodec open = new WireCodec(json, new Signer("", "hmac-sha256"));
        List<byte[]> frames = open.encode(factory.publish(json.createObjectNode(), "status", json.createObjectNode()));
        assertEquals(0, frames.get(2).length);
        assertFalse(new Signer("", "hmac-sha256").enabled());
        assertEquals("status", open.decode(frames).msgType());
    }

    @Test
    void connectionFileIsReadAndItsKeyStaysOutOfToString(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("kernel.json");
        Files.writeString(file, """
                {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
                 "ip": "127.0.0.1", "key": "top-secret", "transport": "tcp",
                 "signature_scheme": "hmac-sha256", "kernel_name": "drydock"}
                """);
        ConnectionInfo info = ConnectionInfo.read(file);
        assertEquals(4, info.controlPort());
        assertEquals("tcp://127.0.0.1:5", info.endpoint(info.hbPort()));
        assertEquals("top-secret", info.key());
        assertFalse(info.toString().contains("top-secret"));
        assertEquals("ipc://kernel-ipc-7", new ConnectionInfo("ipc", "kernel-ipc", 7, 0, 0, 0, 0, "", null).endpoint(7));
    }
}
