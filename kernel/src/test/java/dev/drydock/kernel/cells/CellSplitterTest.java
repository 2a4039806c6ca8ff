package dev.drydock.kernel.cells;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.drydock.magics.MagicCall;
import java.util.List;
import org.junit.jupiter.api.Test;

class CellSplitterTest {

    @Test
    void plainJavaIsOnePart() {
        assertEquals(List.of(new CellPart.Java("int x = 1;\nx + 1", 1)), CellSplitter.split("int x = 1;\nx + 1\n"));
    }

    @Test
    void cellMagicOwnsTheWholeBody() {
        List<CellPart> parts = CellSplitter.split("%%writefile -a out/data.txt\nline 1\n%notamagic\n!notshell\n");
        assertEquals(List.of(new CellPart.Magic(new MagicCall("writefile", "-a out/data.txt", "line 1\n%notamagic\n!notshell\n"), 1)), parts);
    }

    @Test
    void cellMagicWithoutArgumentsHasEmptyArgs() {
        assertEquals(List.of(new CellPart.Magic(new MagicCall("bash", "", "echo hi"), 1)), CellSplitter.split("%%bash\necho hi"));
    }

    @Test
    void leadingBlankLinesBeforeCellMagicAreIgnored() {
        assertEquals(List.of(new CellPart.Magic(new MagicCall("sh", "", "ls"), 3)), CellSplitter.split("\n  \n%%sh\nls"));
    }

    @Test
    void lineMagicsAndShellLinesInterleaveWithJavaInOrder() {
        List<CellPart> parts = CellSplitter.split("""
                %dotenv --override
                String user = System.getenv("USER");
                int n = 2;
                !echo hello
                %setenv A=1
                n * 21""");
        assertEquals(List.of(
                new CellPart.Magic(new MagicCall("dotenv", "--override", null), 1),
                new CellPart.Java("String user = System.getenv(\"USER\");\nint n = 2;", 2),
                new CellPart.Shell("echo hello", 4),
                new CellPart.Magic(new MagicCall("setenv", "A=1", null), 5),
                new CellPart.Java("n * 21", 6)), parts);
    }

    @Test
    void indentedPercentAndBangLinesStayJava() {
        String cell = "int r = 10\n   % 3;\nboolean b = true &&\n    !false;";
        assertEquals(List.of(new CellPart.Java(cell, 1)), CellSplitter.split(cell));
    }

    @Test
    void linesInsideATextBlockAreNeverMagics() {
        String cell = "String s = \"\"\"\n%d items\n!important\n\"\"\";\n%lsmagic";
        assertEquals(List.of(
                new CellPart.Java("String s = \"\"\"\n%d items\n!important\n\"\"\";", 1),
                new CellPart.Magic(new MagicCall("lsmagic", "", null), 5)), CellSplitter.split(cell));
    }

    @Test
    void percentFollowedByNonNameIsJava() {
        assertEquals(List.of(new CellPart.Java("% 2", 1)), CellSplitter.split("% 2"));
    }

    @Test
    void windowsLineEndingsAndBackslashesAreKept() {
        assertEquals(List.of(new CellPart.Magic(new MagicCall("container", "run -v C:\\data:/data img", null), 1)),
                CellSplitter.split("%container run -v C:\\data:/data img\r\n"));
    }

    @Test
    void emptyAndBlankCellsHaveNoParts() {
        assertEquals(List.of(), CellSplitter.split(""));
        assertEquals(List.of(), CellSplitter.split("\n   \n"));
    }

    @Test
    void bareBangIsJava() {
        assertEquals(List.of(new CellPart.Java("!", 1)), CellSplitter.split("!"));
    }
}
