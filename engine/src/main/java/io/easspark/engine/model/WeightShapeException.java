package io.easspark.engine.model;

/** A tensor is missing or has the wrong shape; the message names the tensor, the expected and found shapes and the source. */
public final class WeightShapeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public WeightShapeException(String message) {
        super(message);
    }
}
