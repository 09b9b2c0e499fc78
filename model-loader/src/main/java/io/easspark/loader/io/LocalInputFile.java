package io.easspark.loader.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A file on local disk, read with positional FileChannel reads (no shared file pointer). */
public final class LocalInputFile implements InputFile {

    private final Path path;

    public LocalInputFile(Path path) {
        this.path = path;
    }

    @Override
    public String location() {
        return path.toString();
    }

    @Override
    public long length() throws IOException {
        RegularFile.require(path, "file");
        return Files.size(path);
    }

    @Override
    public SeekableInput open() throws IOException {
        RegularFile.require(path, "file"); // before the open: opening a FIFO blocks
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        return new SeekableInput() {
            @Override
            public void readFully(long offset, ByteBuffer target) throws IOException {
                long at = offset;
                while (target.hasRemaining()) {
                    int n = channel.read(target, at);
                    if (n < 0) {
                        throw new EOFException(path + ": unexpected end of file at byte " + at);
                    }
                    at += n;
                }
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }
}
