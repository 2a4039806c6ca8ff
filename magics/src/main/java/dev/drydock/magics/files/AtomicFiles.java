package dev.drydock.magics.files;

import dev.drydock.magics.Cancellation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Writes files so that a reader (or a crash) never sees half of one: the content goes to a temporary
 * file in the target's own folder, is flushed to disk, and then renamed over the target in one step.
 * A failure at any point leaves the old file as it was and removes the temporary file.
 */
public final class AtomicFiles {

    /** rw------- : what a file holding secrets gets. */
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private AtomicFiles() {}

    /**
     * Replaces {@code target} with {@code content}, or with its old content followed by {@code content}
     * when {@code append}. Parent folders are created. A symbolic link is followed, so the file it
     * points at is replaced, as writing through the link would do.
     *
     * @param permissions the new file's permissions; {@code null} keeps an existing file's and gives a
     *     new one the process's defaults (umask)
     */
    public static void write(Path target, byte[] content, boolean append, Set<PosixFilePermission> permissions)
            throws IOException {
        // An interrupt of the cell's thread would abort the channel midway; the write is short, so it finishes.
        Cancellation.uninterruptibly(() -> {
            replace(target, content, append, permissions);
            return null;
        });
    }

    private static void replace(Path target, byte[] content, boolean append, Set<PosixFilePermission> permissions)
            throws IOException {
        if (Files.isSymbolicLink(target) && Files.exists(target)) {
            target = target.toRealPath();
        }
        Path folder = target.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        if (Files.isDirectory(target)) {
            throw new java.nio.file.FileSystemException(target.toString(), null, "is a folder");
        }
        boolean exists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> mode = permissions != null ? permissions
                : exists && posix(folder) ? Files.getPosixFilePermissions(target) : null;

        // Same folder, so the rename below cannot cross file systems; the dot keeps it out of listings,
        // and the shortened name keeps a long target name within the 255-byte limit.
        String name = target.getFileName().toString();
        Path temp = folder.resolve("." + name.substring(0, Math.min(name.length(), 64)) + "." + UUID.randomUUID() + ".tmp");
        try {
            FileAttribute<?>[] attributes = mode != null && posix(folder)
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)}
                    : new FileAttribute<?>[0];
            try (FileChannel channel = FileChannel.open(temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes)) {
                if (mode != null && posix(folder)) {
                    // The attribute above is filtered by the umask; set the mode exactly before any byte lands.
                    Files.setPosixFilePermissions(temp, mode);
                }
                if (append && exists) {
                    writeAll(channel, Files.readAllBytes(target));
                }
                writeAll(channel, content);
                // On disk before the rename, or a crash could leave an empty file under the target's name.
                channel.force(true);
            }
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void writeAll(FileChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // Only on file systems without rename (some network mounts): still never a half-written target.
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean posix(Path folder) {
        return folder.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
