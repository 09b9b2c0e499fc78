package io.easspark.jobs.infer;

import io.easspark.engine.RowStatus;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Reads a row's image from a path or URI on any Hadoop filesystem, resolved against {@code --image-root}.
 *
 * <p>Permanent problems become a row status: the file does not exist, lies outside the root (after following
 * symlinks, for local files), is not a regular file (a FIFO, a device, a directory: refused before it is opened, so
 * a FIFO cannot hang the task nor {@code /dev/zero} fill its heap), or is larger than {@code --max-image-bytes}.
 * Every other I/O failure (connection refused, a timeout, throttling) is transient: it is thrown as
 * {@link ImageReadFailure} so that Spark retries the task, and the job fails after the retries, never writing a
 * status that {@code --resume} would then keep forever. Messages never quote the file's bytes.
 */
public final class ImageResolver {

    /** The bytes, or the status and reason there are none. */
    public record Result(byte[] bytes, RowStatus status, String problem) {

        static Result of(byte[] bytes) {
            return new Result(bytes, null, null);
        }

        static Result missing(String why) {
            return new Result(null, RowStatus.IMAGE_MISSING, why);
        }
    }

    private final String root;
    private final Configuration conf;
    private final long maxBytes;
    /** The root's real path when it is local (symlinks resolved), computed once; null otherwise or not yet. */
    private java.nio.file.Path realRoot;

    public ImageResolver(String root, Configuration conf, long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("--max-image-bytes must be >= 1: " + maxBytes);
        }
        this.root = root == null || root.isBlank() ? null : root;
        this.conf = conf;
        this.maxBytes = maxBytes;
    }

    public Result read(String ref) {
        if (ref == null || ref.isBlank()) {
            return Result.of(null);
        }
        Path path;
        if (root != null) {
            boolean escapes = ref.startsWith("/") || ref.contains(":");
            for (String part : ref.split("/")) {
                escapes |= part.equals("..");
            }
            if (escapes) {
                return Result.missing("image path " + ref + " escapes --image-root " + root);
            }
            path = new Path(root, ref);
        } else {
            path = new Path(ref);
        }
        try {
            FileSystem fs = path.getFileSystem(conf);
            if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
                return readLocal(localPath(fs, path), path);
            }
            return readRemote(fs, path);
        } catch (FileNotFoundException e) {
            return Result.missing("image " + path + " does not exist");
        } catch (IOException e) {
            throw new ImageReadFailure(path.toString(), e);
        }
    }

    /**
     * A local file: the real path (every symlink followed) must lie inside the real root, and the file must be
     * regular; both are asked of the file system itself, because Hadoop's local status calls a FIFO a file.
     */
    private Result readLocal(java.nio.file.Path file, Path shown) throws IOException {
        java.nio.file.Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            return Result.missing("image " + shown + " does not exist");
        } catch (java.nio.file.FileSystemException e) {
            // a symlink loop or a dangling link: there is no file to read
            return Result.missing("image " + shown + " does not resolve to a file (" + e.getReason() + ")");
        }
        if (root != null) {
            java.nio.file.Path base = realRoot();
            if (base != null && !real.startsWith(base)) {
                return Result.missing("image " + shown + " resolves outside --image-root " + root);
            }
        }
        BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isRegularFile()) {
            return Result.missing("image " + shown + " is not a regular file");
        }
        if (attrs.size() > maxBytes) {
            return tooLarge(shown, attrs.size());
        }
        try (InputStream in = Files.newInputStream(real)) {
            return bounded(in, shown);
        }
    }

    private Result readRemote(FileSystem fs, Path path) throws IOException {
        FileStatus status = fs.getFileStatus(path);
        if (!status.isFile()) {
            return Result.missing("image " + path + " is not a regular file");
        }
        if (status.getLen() > maxBytes) {
            return tooLarge(path, status.getLen());
        }
        try (InputStream in = fs.open(path)) {
            return bounded(in, path);
        }
    }

    /** Reads at most the limit plus one byte: a file that grew after its status was read is still refused. */
    private Result bounded(InputStream in, Path shown) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (bytes.length > maxBytes) {
            return tooLarge(shown, bytes.length);
        }
        return Result.of(bytes);
    }

    private Result tooLarge(Path shown, long length) {
        return new Result(null, RowStatus.IMAGE_TOO_LARGE, "image " + shown + " is " + (length > maxBytes ? "over " : "")
                + maxBytes + " bytes, the --max-image-bytes limit (it has " + (length > maxBytes ? "at least " : "") + length + ")");
    }

    private java.nio.file.Path realRoot() throws IOException {
        if (realRoot == null) {
            Path r = new Path(root);
            FileSystem fs = r.getFileSystem(conf);
            if (!(fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem)) {
                return null; // a local image under a remote root cannot happen: paths resolve against the root
            }
            try {
                realRoot = localPath(fs, r).toRealPath();
            } catch (NoSuchFileException e) {
                throw new FileNotFoundException("--image-root " + root + " does not exist");
            }
        }
        return realRoot;
    }

    private static java.nio.file.Path localPath(FileSystem fs, Path p) {
        return java.nio.file.Paths.get(fs.makeQualified(p).toUri());
    }

    /**
     * A transient failure reading an image (the storage did not answer as expected): the task fails so Spark retries
     * it; after the retries the job fails with this message, which names the path and the cause.
     */
    public static final class ImageReadFailure extends UncheckedIOException {

        private static final long serialVersionUID = 1L;

        ImageReadFailure(String path, IOException cause) {
            super("reading image " + path + " failed: " + oneLine(cause) + " (not a row status: the storage failed, "
                    + "so the task failed and Spark retried it; rerun once the storage answers, with --resume)", cause);
        }

        private static String oneLine(Throwable e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            return m.replaceAll("\\s*\\R\\s*", " ");
        }
    }
}
