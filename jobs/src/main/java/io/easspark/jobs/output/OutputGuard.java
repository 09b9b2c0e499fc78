package io.easspark.jobs.output;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Spark's ErrorIfExists convention for every command that writes: before anything is written (before the
 * SparkSession where possible; only a Hadoop {@link Configuration} is needed), {@code --output} is resolved on its
 * filesystem and refused when it would destroy or mix with something the command reads. A local path is compared by
 * its real path, so a symlink or {@code ..} does not hide that two flags name one folder.
 */
public final class OutputGuard {

    /** What to do with an output folder that already exists. */
    public enum Existing {
        /** refuse it: the default */
        REFUSE,
        /** replace it, but only when it is empty or a finished output of this command ({@code --overwrite}) */
        OVERWRITE,
        /** keep it: the command appends to it ({@code --resume}) and checks it itself */
        KEEP
    }

    /** A location the command reads, by the flag that named it; null or blank locations are ignored. */
    public record Read(String flag, String location) {
    }

    /** Whether an existing folder is a finished output of the command (so --overwrite may replace it). */
    @FunctionalInterface
    public interface Finished {
        boolean test(FileSystem fs, Path dir) throws IOException;
    }

    /** The verdict: the resolved output, and whether it exists now (a folder --overwrite or --resume accepted). */
    public record Checked(Path path, FileSystem fs, boolean exists) {
    }

    private OutputGuard() {
    }

    /**
     * Checks {@code output} (named by {@code flag}) against what the command reads and against what is already there.
     *
     * @throws IllegalArgumentException one line naming the flags and the paths, when the output may not be written
     */
    public static Checked check(Configuration conf, String flag, String output, List<Read> reads, Existing existing,
                                String command, Finished finished) throws IOException {
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException(flag + " is empty");
        }
        Path raw = new Path(output);
        FileSystem fs = raw.getFileSystem(conf);
        Path out = resolve(fs, raw);
        for (Read r : reads) {
            if (r.location() == null || r.location().isBlank()) {
                continue;
            }
            Path named = new Path(globFree(r.location()));
            if (named.toUri().getScheme() != null && !named.toUri().getScheme().equals(out.toUri().getScheme())) {
                continue; // another filesystem: no need to reach it (an s3a: input of a local output)
            }
            Path in = resolve(named.getFileSystem(conf), named);
            if (!sameFileSystem(out, in)) {
                continue;
            }
            String why = inside(out, in) && inside(in, out) ? "is"
                    : inside(in, out) ? "contains"
                    : inside(out, in) ? "lies inside" : null;
            if (why != null) {
                throw new IllegalArgumentException(flag + " " + output + " " + why + " " + r.flag() + " " + r.location()
                        + ": writing there would replace or mix with what the command reads; give another " + flag);
            }
        }
        FileStatus st;
        try {
            st = fs.getFileStatus(out);
        } catch (FileNotFoundException e) {
            return new Checked(out, fs, false);
        }
        if (!st.isDirectory()) {
            throw new IllegalArgumentException(flag + " " + output + " is an existing file, not a folder: give a folder to write into");
        }
        if (existing == Existing.KEEP) {
            return new Checked(out, fs, true);
        }
        if (fs.listStatus(out).length == 0) {
            return new Checked(out, fs, true);
        }
        if (existing == Existing.REFUSE) {
            throw new IllegalArgumentException(flag + " " + output + " already exists: give --overwrite to replace it"
                    + (command.equals("infer") ? ", --resume to add the missing ids," : "") + " or another " + flag);
        }
        if (!finished.test(fs, out)) {
            throw new IllegalArgumentException("--overwrite replaces only an empty folder or a finished " + command + " output, and "
                    + flag + " " + output + " is neither: move it away or give another " + flag);
        }
        return new Checked(out, fs, true);
    }

    /**
     * For a command whose output is a local folder: {@link #check}, then, with --overwrite, empties the folder it
     * accepted. Needs no SparkSession, so it runs before one starts.
     */
    public static void prepareLocal(java.nio.file.Path output, boolean overwrite, String command, List<Read> reads, Finished finished)
            throws IOException {
        clear(checkLocal(output, overwrite, command, reads, finished));
    }

    /**
     * {@link #check} for a command whose output is a local folder, without emptying it: a command that reads its
     * inputs for a while calls {@link #clear} once they all proved readable, so a bad input leaves an --overwrite
     * target as it was.
     */
    public static Checked checkLocal(java.nio.file.Path output, boolean overwrite, String command, List<Read> reads, Finished finished)
            throws IOException {
        Configuration conf = new Configuration();
        conf.set("fs.defaultFS", "file:///"); // the output is a java.nio path: local, whatever core-site.xml says
        return check(conf, "--output", output.toString(), reads, overwrite ? Existing.OVERWRITE : Existing.REFUSE, command, finished);
    }

    /** Removes an output that {@link #check} accepted for --overwrite, right before the command writes anew. */
    public static void clear(Checked c) throws IOException {
        if (c.exists()) {
            for (FileStatus child : c.fs().listStatus(c.path())) {
                c.fs().delete(child.getPath(), true);
            }
        }
    }

    /** Whether every named file exists under {@code dir}: the marker files a command writes last. */
    public static Finished hasAll(String... names) {
        return (fs, dir) -> {
            for (String n : names) {
                if (!fs.exists(new Path(dir, n))) {
                    return false;
                }
            }
            return true;
        };
    }

    /** Qualified on its filesystem; a local path also by its real path (symlinks followed, as far as it exists). */
    static Path resolve(FileSystem fs, Path p) throws IOException {
        Path q = fs.makeQualified(p);
        URI u = q.toUri();
        if (!"file".equals(u.getScheme())) {
            return q;
        }
        java.nio.file.Path local = Paths.get(u.getPath()).toAbsolutePath().normalize();
        java.nio.file.Path existing = local;
        List<String> rest = new ArrayList<>();
        while (existing != null && !Files.exists(existing)) {
            rest.add(0, existing.getFileName().toString());
            existing = existing.getParent();
        }
        java.nio.file.Path real = existing == null ? local.getRoot() : existing.toRealPath();
        for (String name : rest) {
            real = real.resolve(name);
        }
        return new Path(real.toUri());
    }

    /** A glob's fixed folder: {@code data/2024-*&#47;q.jsonl} reads under {@code data}, {@code *.jsonl} under the working folder. */
    static String globFree(String location) {
        int at = -1;
        for (char c : new char[] {'*', '?', '[', '{'}) {
            int i = location.indexOf(c);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at < 0) {
            return location;
        }
        int slash = location.lastIndexOf('/', at);
        return slash < 0 ? "." : slash == 0 ? "/" : location.substring(0, slash);
    }

    private static boolean sameFileSystem(Path a, Path b) {
        URI x = a.toUri();
        URI y = b.toUri();
        return java.util.Objects.equals(x.getScheme(), y.getScheme()) && java.util.Objects.equals(x.getAuthority(), y.getAuthority());
    }

    /** Whether {@code a} is {@code b} or lies below it, by whole path components. */
    static boolean inside(Path a, Path b) {
        String x = a.toUri().getPath();
        String y = b.toUri().getPath();
        x = x.endsWith("/") && x.length() > 1 ? x.substring(0, x.length() - 1) : x;
        y = y.endsWith("/") && y.length() > 1 ? y.substring(0, y.length() - 1) : y;
        return x.equals(y) || x.startsWith(y.endsWith("/") ? y : y + "/");
    }
}
