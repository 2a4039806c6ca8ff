package dev.drydock.magics.container;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The safety check before an interrupted exec's process is signalled: it must be the container's. */
class ExecProcessTest {

    @Test
    void aProcessBelongsToAContainerOnlyWhenItsCgroupNamesIt() throws Exception {
        long self = ProcessHandle.current().pid();
        String longestLine = Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .reduce((a, b) -> a.length() >= b.length() ? a : b).orElseThrow();
        assertTrue(ExecProcess.belongsTo(self, longestLine), "what this process's own cgroup file says");
        assertFalse(ExecProcess.belongsTo(self, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        assertFalse(ExecProcess.belongsTo(self, ""), "an engine that names no container gets no signal");
        assertFalse(ExecProcess.belongsTo(Long.MAX_VALUE, "anything"), "no such process");
    }
}
