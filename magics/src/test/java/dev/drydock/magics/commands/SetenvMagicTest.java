package dev.drydock.magics.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SetenvMagicTest {

    private final Session session = new Session(Path.of("/tmp"), Map.of("BASE", "/data"));
    private final Magics magics = new Magics(session);
    private final RecordingNotebook notebook = new RecordingNotebook(session.masker());

    private void setenv(String args) throws MagicException {
        magics.run(new MagicCall("setenv", args, null), notebook);
    }

    @Test
    void setsNameEqualsValueAndEchoesLikeIPython() throws MagicException {
        setenv("RUN_DIR=${BASE}/run1");
        assertEquals(Optional.of("/data/run1"), session.variable("RUN_DIR"));
        assertEquals("env: RUN_DIR=/data/run1\n", notebook.out());
    }

    @Test
    void acceptsNameSpaceValueAndQuotedBlanks() throws MagicException {
        setenv("GREETING \"hello world\"");
        setenv("OTHER=\"a b\"");
        setenv("EMPTY=");
        assertEquals(Optional.of("hello world"), session.variable("GREETING"));
        assertEquals(Optional.of("a b"), session.variable("OTHER"));
        assertEquals(Optional.of(""), session.variable("EMPTY"));
    }

    @Test
    void isNotASecret() throws MagicException {
        setenv("VISIBLE=plainvalue");
        assertEquals("plainvalue", session.masker().mask("plainvalue"));
    }

    @Test
    void secretByNameOrFlagAndPublicByFlag() throws MagicException {
        setenv("--secret HF_READ=hf_abcdef");
        setenv("DB_PASSWORD=pw-123456");
        setenv("--public API_KEY_ID=key-id-0001");
        assertEquals("**** **** key-id-0001", session.masker().mask("hf_abcdef pw-123456 key-id-0001"));
        assertTrue(notebook.out().contains("env: HF_READ=****\n"), notebook.out());
        assertEquals(Optional.of("hf_abcdef"), session.variable("HF_READ"));
    }

    @Test
    void badNameIsAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> setenv("1BAD=x"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("'1BAD'"), e.getMessage());
        assertThrows(MagicException.class, () -> setenv("A-B=x"));
    }

    @Test
    void missingOrDoubleValueIsAUsageError() {
        assertEquals(MagicException.Kind.UsageError, assertThrows(MagicException.class, () -> setenv("ONLY")).kind());
        assertEquals(MagicException.Kind.UsageError, assertThrows(MagicException.class, () -> setenv("A=1 2")).kind());
        assertEquals(MagicException.Kind.UsageError, assertThrows(MagicException.class, () -> setenv("")).kind());
    }
}
