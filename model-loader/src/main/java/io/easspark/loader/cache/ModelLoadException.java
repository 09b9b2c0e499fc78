package io.easspark.loader.cache;

/** A model could not be loaded; the message says which and why. */
public final class ModelLoadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
