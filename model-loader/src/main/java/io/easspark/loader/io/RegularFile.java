package io.easspark.loader.io;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The check every local input passes before it is opened: it must be a regular file or a symlink to one. Opening a
 * FIFO blocks until some other process writes to it (forever, for a model or checkpoint), and a device or a
 * symlink loop is never a checkpoint.
 */
public final class RegularFile {

    private RegularFile() {
    }

    /**
     * @throws FileNotFoundException when nothing is at {@code path}
     * @throws IllegalArgumentException when something is, but not a regular file (named: FIFO, directory, link loop)
     */
    public static void require(Path path, String what) throws FileNotFoundException {
        if (Files.isRegularFile(path)) {
            return;
        }
        if (Files.isSymbolicLink(path)) {
            throw new IllegalArgumentException(what + " " + path + " is a symbolic link that resolves to no file (dangling or a loop)");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileNotFoundException(what + " " + path + " does not exist");
        }
        String kind = Files.isDirectory(path) ? "a directory" : "a FIFO, socket or device";
        throw new IllegalArgumentException(what + " " + path + " is " + kind + ", not a regular file");
    }
}
