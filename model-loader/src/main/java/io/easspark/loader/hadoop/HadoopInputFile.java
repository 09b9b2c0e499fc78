package io.easspark.loader.hadoop;

import io.easspark.loader.io.InputFile;
import io.easspark.loader.io.RegularFile;
import io.easspark.loader.io.SeekableInput;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A file on any Hadoop filesystem ({@code file:}, {@code hdfs:}, {@code s3a:}), read with positional reads. */
public final class HadoopInputFile implements InputFile {

    /** Copy size for reads into direct buffers: large enough for S3's throughput, small enough for the heap. */
    private static final int CHUNK = 8 << 20;

    private final FileSystem fs;
    private final Path path;
    private long length = -1;

    public HadoopInputFile(FileSystem fs, Path path) {
        this.fs = fs;
        this.path = path;
    }

    public static HadoopInputFile of(String uri, Configuration conf) throws IOException {
        Path p = new Path(uri);
        return new HadoopInputFile(p.getFileSystem(conf), p);
    }

    @Override
    public String location() {
        return path.toString();
    }

    @Override
    public long length() throws IOException {
        if (length < 0) {
            requireRegular();
            length = fs.getFileStatus(path).getLen();
        }
        return length;
    }

    /**
     * Refuses anything that is not a regular file before it is opened. Hadoop's local filesystem reports a FIFO as a
     * file (it only tells directories apart), and opening one blocks forever, so local paths are checked by the JDK.
     */
    private void requireRegular() throws IOException {
        if (fs.getScheme().equals("file")) {
            RegularFile.require(localPath(fs, path), "file");
        } else if (fs.getFileStatus(path).isDirectory()) {
            throw new IllegalArgumentException("file " + path + " is a directory, not a regular file");
        }
    }

    /** The JDK path of a {@code file:} Hadoop path. */
    public static java.nio.file.Path localPath(FileSystem fs, Path p) {
        return java.nio.file.Path.of(fs.makeQualified(p).toUri());
    }

    /**
     * The regular files of {@code dir} whose names match {@code pattern}, sorted by name. On the local filesystem a
     * matching name that is not a regular file (a dangling link or link loop, a FIFO, a directory) is an error naming it:
     * Hadoop's listing would skip a dangling link silently, and a shard skipped is a model silently wrong.
     */
    public static List<HadoopInputFile> list(FileSystem fs, Path dir, String pattern) throws IOException {
        List<HadoopInputFile> out = new ArrayList<>();
        if (fs.getScheme().equals("file")) {
            java.nio.file.Path local = localPath(fs, dir);
            try (Stream<java.nio.file.Path> names = Files.list(local)) {
                for (java.nio.file.Path p : names.filter(p -> p.getFileName().toString().matches(pattern)).sorted().toList()) {
                    RegularFile.require(p, "file");
                    out.add(new HadoopInputFile(fs, new Path(dir, p.getFileName().toString())));
                }
            }
            return out;
        }
        FileStatus[] listing = fs.listStatus(dir, p -> p.getName().matches(pattern));
        Arrays.sort(listing);
        for (FileStatus st : listing) {
            if (!st.isFile()) {
                throw new IllegalArgumentException("file " + st.getPath() + " is not a regular file");
            }
            out.add(new HadoopInputFile(fs, st.getPath()));
        }
        return out;
    }

    @Override
    public SeekableInput open() throws IOException {
        if (length < 0) {
            requireRegular(); // before the open: opening a FIFO blocks
        }
        FSDataInputStream in = fs.open(path);
        return new SeekableInput() {
            @Override
            public void readFully(long offset, ByteBuffer target) throws IOException {
                try {
                    if (target.hasArray()) {
                        int n = target.remaining();
                        in.readFully(offset, target.array(), target.arrayOffset() + target.position(), n);
                        target.position(target.position() + n);
                        return;
                    }
                    byte[] chunk = new byte[Math.min(CHUNK, target.remaining())];
                    long at = offset;
                    while (target.hasRemaining()) {
                        int n = Math.min(chunk.length, target.remaining());
                        in.readFully(at, chunk, 0, n);
                        target.put(chunk, 0, n);
                        at += n;
                    }
                } catch (EOFException e) {
                    throw new EOFException(path + ": unexpected end of file reading from byte " + offset);
                }
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }
}
