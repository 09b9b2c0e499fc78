package io.easspark.loader.hadoop;

import io.easspark.loader.io.InputFile;
import io.easspark.loader.io.SeekableInput;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
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
            length = fs.getFileStatus(path).getLen();
        }
        return length;
    }

    @Override
    public SeekableInput open() throws IOException {
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
