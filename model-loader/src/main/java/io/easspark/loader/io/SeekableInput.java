package io.easspark.loader.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Random-access reads from one opened file. Not thread-safe: open one per reader. */
public interface SeekableInput extends Closeable {

    /** Fills {@code target} from its position to its limit with the bytes starting at {@code offset}; EOFException if the file ends first. */
    void readFully(long offset, ByteBuffer target) throws IOException;
}
