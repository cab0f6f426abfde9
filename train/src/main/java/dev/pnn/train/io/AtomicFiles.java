package dev.pnn.train.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file so that a crash at any moment (a kill, a full disk, power loss) leaves either
 * the old file or the whole new one under its name, never a part: the bytes go to a temporary
 * file in the same folder, which is flushed and forced to disk, then renamed over the target,
 * and the folder is forced too. A failure removes the temporary file and leaves the target as it was.
 */
public final class AtomicFiles {

    /** Writes a file's content to a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Writes {@code content} to {@code target} atomically.
     *
     * @throws IOException when the folder is missing, the target is not a regular file (a folder,
     *                     a FIFO, a device), or writing fails; the target is then unchanged
     */
    public static void write(Path target, Content content) throws IOException {
        checkWritable(target);
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            keepPermissions(target, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /**
     * Checks, before any work, that {@code target} can be written as a file: its folder exists
     * and is writable, and the target, when it exists, is a regular file.
     */
    public static void checkWritable(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(target.toString(), null, "its folder " + dir + " does not exist");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
            throw new IOException(target + ": expected a regular file to write, found "
                    + (Files.isDirectory(target) ? "a folder" : "a special file (FIFO, device or socket)"));
        }
        // the only sure test (root passes every permission check, a read-only mount fails them all): try it
        Path probe;
        try {
            probe = Files.createTempFile(dir, "." + target.getFileName() + ".", ".probe");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new java.nio.file.AccessDeniedException(target.toString(), null, "cannot create files in " + dir);
        } catch (java.nio.file.FileSystemException e) {
            throw new java.nio.file.FileSystemException(target.toString(), null, "cannot create files in " + dir + ": "
                    + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason()));
        }
        Files.deleteIfExists(probe);
    }

    /** The new file gets the old one's permissions, or rw-r--r-- (a temporary file starts as rw-------). */
    private static void keepPermissions(Path target, Path tmp) throws IOException {
        if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Set<PosixFilePermission> perms = Files.exists(target) ? Files.getPosixFilePermissions(target)
                : PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(tmp, perms);
    }

    /** Makes a rename durable; file systems that cannot force a folder are left as they are. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the rename is done; only its durability across power loss depends on this
        }
    }
}
