package dev.drydock.magics.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<Path> contents() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    @Test
    void writesAndAppendsWithoutLeavingTemporaryFiles() throws Exception {
        Path target = dir.resolve("a.txt");
        AtomicFiles.write(target, bytes("one\n"), false, null);
        AtomicFiles.write(target, bytes("two\n"), true, null);
        assertEquals("one\ntwo\n", Files.readString(target));
        assertEquals(List.of(target), contents());
    }

    @Test
    void appliesTheGivenModeExactly() throws Exception {
        Path target = dir.resolve(".env");
        AtomicFiles.write(target, bytes("A=1\n"), false, AtomicFiles.OWNER_ONLY);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        // Tightens an existing, too-open file as well.
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-rw-"));
        AtomicFiles.write(target, bytes("A=2\n"), true, AtomicFiles.OWNER_ONLY);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        assertEquals("A=1\nA=2\n", Files.readString(target));
    }

    @Test
    void aFolderInTheWayIsLeftAlone() throws Exception {
        Path target = Files.createDirectories(dir.resolve("t"));
        Files.writeString(target.resolve("keep"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, bytes("new"), false, null));
        assertArrayEquals(bytes("x"), Files.readAllBytes(target.resolve("keep")));
        assertEquals(List.of(target), contents());
    }

    @Test
    void longNamesStillFitTheTemporaryFile() throws Exception {
        Path target = dir.resolve("n".repeat(250) + ".txt");
        AtomicFiles.write(target, bytes("long"), false, null);
        assertEquals("long", Files.readString(target));
    }

    @Test
    void aFailedRenameRemovesTheTemporaryFile() throws Exception {
        // Root is never denied permission, so fail on something root cannot do either: the temporary file
        // (short name) is written, then the rename to a name over 255 bytes fails.
        Path parent = Files.createDirectories(dir.resolve("p"));
        Path target = parent.resolve("x".repeat(300));
        assertThrows(IOException.class, () -> AtomicFiles.write(target, bytes("new"), false, null));
        assertEquals(List.of(), Files.list(parent).toList());
    }

    @Test
    void aWriteOnAThreadTheKernelInterruptedFinishesAndKeepsTheInterrupt() throws Exception {
        Path target = dir.resolve("runs/job.json");
        Thread.currentThread().interrupt();
        try {
            AtomicFiles.write(target, "{\"status\": \"Canceled\"}".getBytes(StandardCharsets.UTF_8), false, null);
            org.junit.jupiter.api.Assertions.assertTrue(Thread.currentThread().isInterrupted(),
                    "the interrupt is still there for the magic to act on");
        } finally {
            Thread.interrupted();
        }
        assertEquals("{\"status\": \"Canceled\"}", Files.readString(target));
    }
}
