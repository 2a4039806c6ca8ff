package dev.drydock.kernel.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.kernel.java.JavaEngine.JavaException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** System.exit, Runtime.exit and Runtime.halt from a cell or a library end the cell, never this JVM. */
class ExitGuardTest {

    private static JShellEngine engine;

    @BeforeAll
    static void start() {
        engine = new JShellEngine();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static JavaException exitOf(String cell) {
        return assertThrows(JavaException.class, () -> engine.eval(cell, 1));
    }

    @Test
    void systemExitInACellIsASystemExitErrorAndStateSurvives() throws Exception {
        engine.eval("int kept = 41;", 1);

        JavaException exit = exitOf("System.exit(3);");

        assertEquals("SystemExit", exit.ename());
        assertTrue(exit.evalue().contains("exit status 3"), exit.evalue());
        assertEquals("42", engine.eval("kept + 1", 1).get("text/plain"));
    }

    @Test
    void runtimeExitHaltAndMethodReferencesAreGuardedToo() {
        assertTrue(exitOf("Runtime.getRuntime().exit(4);").evalue().contains("Runtime.exit(4)"));
        assertTrue(exitOf("Runtime.getRuntime().halt(5);").evalue().contains("Runtime.halt(5)"));
        assertTrue(exitOf("java.util.function.IntConsumer quit = System::exit; quit.accept(6);").evalue().contains("status 6"));
        assertTrue(exitOf("java.util.function.IntConsumer stop = Runtime.getRuntime()::halt; stop.accept(7);").evalue().contains("status 7"));
        assertTrue(exitOf("void leave() { System.exit(8); }\nleave();").evalue().contains("status 8"));
    }

    @Test
    void aLibraryOnTheAddedClasspathIsGuarded(@TempDir Path dir) throws Exception {
        Path source = Files.writeString(dir.resolve("Quitter.java"),
                "package lib; public class Quitter { public static void quit() { System.exit(9); } }");
        Files.createDirectories(dir.resolve("classes"));
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-d", dir.resolve("classes").toString(), source.toString()));
        SnippetLoaderDelegate delegate = new SnippetLoaderDelegate(getClass().getClassLoader());
        delegate.addToClasspath(dir.resolve("classes").toString());

        Class<?> quitter = delegate.classLoader().loadClass("lib.Quitter");
        InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                () -> quitter.getMethod("quit").invoke(null));

        assertEquals(9, assertInstanceOf(SystemExit.class, thrown.getCause()).status());
        assertEquals("lib", quitter.getPackageName());
    }

    @Test
    void classesWithoutExitCallsAreLeftAsTheyAre() {
        byte[] plain = {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 61};
        assertSame(plain, ExitGuard.rewrite(plain));
    }
}
