package dev.drydock.magics.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What each test of a way out (snapshot, upload, build context, image) plants in a folder; none of it may arrive. */
public final class Planted {

    /** Secret files, a git file and a file the ignore file excludes ({@code *.bin}). */
    public static final List<String> FILES = List.of(".env", "prod.env", ".env.local", ".git/config", "weights.bin",
            "sub/.env");
    /** The value inside every planted file. */
    public static final String SECRET = "planted-secret-0f3c9a";

    private Planted() {}

    /** Plants {@link #FILES}, an {@code ignoreFile} excluding {@code *.bin}, and main.py and sub/util.py to keep. */
    public static void plant(Path folder, String ignoreFile) throws IOException {
        for (String name : FILES) {
            write(folder.resolve(name), "TOKEN=" + SECRET + "\n");
        }
        write(folder.resolve(ignoreFile), "*.bin\n");
        write(folder.resolve("main.py"), "print('hello')\n");
        write(folder.resolve("sub/util.py"), "X = 1\n");
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
