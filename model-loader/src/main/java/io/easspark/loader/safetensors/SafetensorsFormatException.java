package io.easspark.loader.safetensors;

import java.io.IOException;

/**
 * A safetensors file whose header or layout breaks the format; the one-line message names the file and, where it
 * applies, the tensor with the expected and found values.
 */
public final class SafetensorsFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** {@code problem} is the one-line description; the file's location is appended as "in LOCATION". */
    public SafetensorsFormatException(String location, String problem) {
        super(problem + " in " + location);
    }
}
