package io.easspark.jobs.infer;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads a row's image from a path or URI on any Hadoop filesystem, resolved against {@code --image-root}, which
 * relative paths may not escape. A missing or escaping path is a row status, never a failed task.
 */
public final class ImageResolver {

    /** Images larger than this are refused rather than read into memory (a real photo is a few MB). */
    static final long MAX_IMAGE_BYTES = 64L << 20;

    /** The bytes, or the reason there are none. */
    record Result(byte[] bytes, String missing) {
    }

    private final String root;
    private final Configuration conf;

    public ImageResolver(String root, Configuration conf) {
        this.root = root == null || root.isBlank() ? null : root;
        this.conf = conf;
    }

    Result read(String ref) {
        if (ref == null || ref.isBlank()) {
            return new Result(null, null);
        }
        Path path;
        if (root != null) {
            boolean escapes = ref.startsWith("/") || ref.contains(":");
            for (String part : ref.split("/")) {
                escapes |= part.equals("..");
            }
            if (escapes) {
                return new Result(null, "image path " + ref + " escapes --image-root " + root);
            }
            path = new Path(root, ref);
        } else {
            path = new Path(ref);
        }
        try {
            FileSystem fs = path.getFileSystem(conf);
            long len = fs.getFileStatus(path).getLen();
            if (len > MAX_IMAGE_BYTES) {
                return new Result(null, "image " + path + " is " + len + " bytes, over the " + MAX_IMAGE_BYTES + " limit");
            }
            try (InputStream in = fs.open(path)) {
                return new Result(in.readAllBytes(), null);
            }
        } catch (FileNotFoundException e) {
            return new Result(null, "image " + path + " does not exist");
        } catch (IOException e) {
            return new Result(null, "image " + path + " could not be read: " + e.getMessage());
        }
    }
}
