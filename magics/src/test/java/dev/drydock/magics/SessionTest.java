package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionTest {

    private final Session session = new Session(Path.of("/work/nb"), Map.of("HOME", "/root", "SHARED", "from-env"));

    @Test
    void sessionVariablesComeBeforeTheProcessEnvironment() {
        assertEquals(Optional.of("from-env"), session.variable("SHARED"));
        session.setVariable("SHARED", "from-session");
        assertEquals(Optional.of("from-session"), session.variable("SHARED"));
        assertEquals(Optional.empty(), session.variable("NOPE"));
    }

    @Test
    void secretsAreMasked() {
        session.setSecret("TOKEN", "tok-123456");
        assertEquals(Optional.of("tok-123456"), session.variable("TOKEN"));
        assertEquals("****", session.masker().mask("tok-123456"));
        session.setVariable("PLAIN", "plain-value");
        assertEquals("plain-value", session.masker().mask("plain-value"));
    }

    @Test
    void expandsBracedReferences() throws MagicException {
        session.setVariable("NAME", "drydock");
        assertEquals("/root/drydock/x", session.expand("${HOME}/${NAME}/x"));
        assertEquals("$NAME and $ stay", session.expand("$NAME and $ stay"));
    }

    @Test
    void doubledDollarIsALiteral() throws MagicException {
        session.setVariable("NAME", "drydock");
        assertEquals("${NAME}=drydock", session.expand("$${NAME}=${NAME}"));
        assertEquals("${UNSET}", session.expand("$${UNSET}"));
    }

    @Test
    void unknownVariableIsAUsageErrorNamingIt() {
        MagicException e = assertThrows(MagicException.class, () -> session.expand("a ${MISSING_ONE} b"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
        assertTrue(e.getMessage().contains("MISSING_ONE"), e.getMessage());
    }

    @Test
    void badReferenceIsAUsageError() {
        MagicException e = assertThrows(MagicException.class, () -> session.expand("${1BAD}"));
        assertEquals(MagicException.Kind.UsageError, e.kind());
    }

    @Test
    void valuesAreNotExpandedTwice() throws MagicException {
        session.setVariable("A", "${HOME}");
        assertEquals("${HOME}", session.expand("${A}"));
    }

    @Test
    void subprocessEnvironmentLayersSessionOverProcess() {
        session.setVariable("SHARED", "mine");
        session.setSecret("KEY", "key-value");
        Map<String, String> env = session.subprocessEnvironment();
        assertEquals("/root", env.get("HOME"));
        assertEquals("mine", env.get("SHARED"));
        assertEquals("key-value", env.get("KEY"));
    }

    @Test
    void resolvesAgainstTheWorkingDirectory() {
        assertEquals(Path.of("/work/nb/data/x.csv"), session.resolve("data/x.csv"));
        assertEquals(Path.of("/work/x"), session.resolve("../x"));
        assertEquals(Path.of("/abs"), session.resolve("/abs"));
        assertEquals(Path.of(System.getProperty("user.home"), "f"), session.resolve("~/f"));
    }

    @Test
    void notebookDirIsTheNotebooksFolderUnlessSetOtherwise() throws MagicException {
        assertEquals("-v /work/nb:/work/nb", session.expand("-v ${NOTEBOOK_DIR}:${NOTEBOOK_DIR}"));
        assertEquals("/work/nb", session.subprocessEnvironment().get("NOTEBOOK_DIR"));
        session.setVariable("NOTEBOOK_DIR", "/elsewhere");
        assertEquals(Optional.of("/elsewhere"), session.variable("NOTEBOOK_DIR"));
        assertEquals("/elsewhere", session.subprocessEnvironment().get("NOTEBOOK_DIR"));
    }

    /** What a kernel's shutdown closes: each shared object once, newest first, past one that fails. */
    @Test
    void sharedStateIsMadeOnceAndClosedNewestFirst() {
        java.util.List<String> closed = new java.util.ArrayList<>();
        final class First implements AutoCloseable {
            @Override public void close() {
                closed.add("first");
            }
        }
        final class Second implements AutoCloseable {
            @Override public void close() {
                closed.add("second");
                throw new IllegalStateException("fails on close");
            }
        }
        First first = session.shared(First.class, First::new);
        assertTrue(first == session.shared(First.class, First::new), "one per session");
        session.shared(Second.class, Second::new);
        session.close();
        assertEquals(java.util.List.of("second", "first"), closed);
    }
}
