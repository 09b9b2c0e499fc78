package io.easspark.loader.pickle;

import java.io.IOException;

/** A .pth/.pt file that is malformed: a broken zip, a truncated pickle, a tensor that overruns its storage. */
public class CheckpointFormatException extends IOException {

    public CheckpointFormatException(String message) {
        super(message);
    }

    public CheckpointFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
