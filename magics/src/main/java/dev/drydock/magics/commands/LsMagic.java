package dev.drydock.magics.commands;

import dev.drydock.magics.MagicCatalog;
import dev.drydock.magics.MagicInfo;
import dev.drydock.magics.Notebook;
import java.util.List;
import picocli.CommandLine.Command;
import dev.drydock.magics.MagicCommand;

/** {@code %lsmagic}: every magic with its one-line description. */
@Command(name = "lsmagic", description = "List every magic with a one-line description.")
public final class LsMagic extends MagicCommand {

    private final MagicCatalog magics;
    private final Notebook notebook;

    public LsMagic(MagicCatalog magics, Notebook notebook) {
        this.magics = magics;
        this.notebook = notebook;
    }

    @Override
    protected void run() {
        notebook.out(render(magics.list()));
    }

    static String render(List<MagicInfo> all) {
        int width = all.stream().mapToInt(m -> m.typed().length()).max().orElse(0);
        StringBuilder text = new StringBuilder();
        for (boolean cell : new boolean[] {false, true}) {
            text.append(cell ? "\nCell magics (first line of a cell; the rest is the body):\n" : "Line magics:\n");
            for (MagicInfo magic : all) {
                if (magic.cellMagic() == cell) {
                    text.append("  ").append(String.format("%-" + width + "s", magic.typed()))
                            .append("  ").append(magic.description()).append('\n');
                }
            }
        }
        text.append("\n!command runs a line with /bin/sh. ${NAME} in magic arguments expands from %dotenv and")
                .append(" %setenv variables, then the environment; ${NOTEBOOK_DIR} is the notebook's folder and")
                .append(" $${NAME} a literal ${NAME}.")
                .append(" Every magic takes --help.\n");
        return text.toString();
    }
}
