package dev.drydock.kernel.cells;

import dev.drydock.magics.MagicCall;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a cell into the parts the runtime runs in order.
 *
 * <ul>
 *   <li>A first line {@code %%name args} makes the whole cell one cell magic; the rest is its body.
 *   <li>Otherwise a line starting with {@code %name} is a line magic and a line starting with
 *       {@code !} a shell command; every other line is Java, and consecutive Java lines stay one part.
 * </ul>
 *
 * <p>Magic and shell lines must start in column 0: Java continuation lines such as {@code   !done}
 * or {@code   % 2} are indented in practice, and a line inside a text block is never a magic.
 */
public final class CellSplitter {

    private static final Pattern CELL_MAGIC = Pattern.compile("%%([A-Za-z_][\\w.-]*)(?:[ \\t]+(.*))?");
    private static final Pattern LINE_MAGIC = Pattern.compile("%([A-Za-z_][\\w.-]*)(?:[ \\t]+(.*))?");
    private static final String TEXT_BLOCK_QUOTES = "\"\"\"";

    private CellSplitter() {}

    public static List<CellPart> split(String cell) {
        String[] lines = cell.split("\r?\n", -1);
        int first = firstNonBlank(lines);
        if (first < lines.length) {
            Matcher cellMagic = CELL_MAGIC.matcher(lines[first].stripTrailing());
            if (cellMagic.matches()) {
                String body = String.join("\n", List.of(lines).subList(first + 1, lines.length));
                return List.of(new CellPart.Magic(new MagicCall(cellMagic.group(1), argsOf(cellMagic), body), first + 1));
            }
        }

        List<CellPart> parts = new ArrayList<>();
        StringBuilder java = new StringBuilder();
        int javaStart = 0;
        boolean inTextBlock = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (!inTextBlock) {
                Matcher lineMagic = LINE_MAGIC.matcher(line.stripTrailing());
                boolean isMagic = lineMagic.matches();
                boolean isShell = line.startsWith("!") && !line.substring(1).isBlank();
                if (isMagic || isShell) {
                    flushJava(parts, java, javaStart);
                    parts.add(isMagic
                            ? new CellPart.Magic(new MagicCall(lineMagic.group(1), argsOf(lineMagic), null), i + 1)
                            : new CellPart.Shell(line.substring(1).strip(), i + 1));
                    continue;
                }
            }
            if (java.length() == 0) {
                javaStart = i + 1;
            }
            java.append(line).append('\n');
            inTextBlock ^= countOccurrences(line, TEXT_BLOCK_QUOTES) % 2 == 1;
        }
        flushJava(parts, java, javaStart);
        return parts;
    }

    private static String argsOf(Matcher magic) {
        return magic.group(2) == null ? "" : magic.group(2).strip();
    }

    private static void flushJava(List<CellPart> parts, StringBuilder java, int firstLine) {
        if (!java.toString().isBlank()) {
            parts.add(new CellPart.Java(java.toString().stripTrailing(), firstLine));
        }
        java.setLength(0);
    }

    private static int firstNonBlank(String[] lines) {
        int i = 0;
        while (i < lines.length && lines[i].isBlank()) {
            i++;
        }
        return i;
    }

    private static int countOccurrences(String text, String needle) {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
            count++;
        }
        return count;
    }
}
