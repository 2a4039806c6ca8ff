package dev.drydock.magics.commands;

import dev.drydock.magics.MagicCall;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.RecordingNotebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.api.Magics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code %%writefile ARGS} with BODY in FOLDER, in a JVM of its own (see AsUser): prints the outcome. */
public final class WriteFileProbe {

    public static void main(String[] args) {
        Session session = new Session(Path.of(args[0]), Map.of());
        Magics magics = new Magics(session, List.of(WriteFileMagic.class), List.of());
        RecordingNotebook notebook = new RecordingNotebook(session.masker());
        try {
            magics.run(new MagicCall("writefile", args[1], args[2]), notebook);
            System.out.print("written: " + notebook.out());
        } catch (MagicException e) {
            System.out.print(e.kind() + ": " + e.getMessage());
        }
    }
}
