package io.easspark.loader.io;

import java.io.IOException;

/**
 * A file to read checkpoint bytes from: a local path or any Hadoop filesystem. Format readers see only this, never
 * Hadoop (parquet's InputFile pattern).
 */
public interface InputFile {

    /** The file's location, for error messages. */
    String location();

    long length() throws IOException;

    SeekableInput open() throws IOException;
}
