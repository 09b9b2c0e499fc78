package io.easspark.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/** Reads tensors from a {@link WeightSource} and checks each shape before it is used. */
public final class WeightReader {

    private final WeightSource source;
    private final NDManager manager;

    public WeightReader(WeightSource source, NDManager manager) {
        this.source = source;
        this.manager = manager;
    }

    /** Loads {@code name}, failing with the tensor, expected and found shapes when they differ. */
    public NDArray read(String name, long... expected) {
        long[] found = source.shape(name);
        if (found == null) {
            throw new WeightShapeException("tensor " + name + ": expected " + Arrays.toString(expected)
                    + " but it is missing in " + source.describe());
        }
        if (!Arrays.equals(found, expected)) {
            throw new WeightShapeException("tensor " + name + ": expected " + Arrays.toString(expected)
                    + " but found " + Arrays.toString(found) + " in " + source.describe());
        }
        NDArray array = source.load(name, manager);
        long[] loaded = array.getShape().getShape();
        if (!Arrays.equals(loaded, expected)) {
            throw new WeightShapeException("tensor " + name + ": header says " + Arrays.toString(found)
                    + " but the data holds " + Arrays.toString(loaded) + " in " + source.describe());
        }
        return array;
    }

    /** Like {@link #read} for a tensor that may be absent (q/k/v and FFN biases exist only after re-parameterisation). */
    public NDArray readOptional(String name, long... expected) {
        return source.shape(name) == null ? null : read(name, expected);
    }

    /**
     * Reads a 2-D weight [out, in] and returns its contiguous transpose [in, out] (activations multiply from the
     * left), releasing the original.
     */
    public NDArray readTransposed(String name, long... expected) {
        NDArray raw = read(name, expected);
        NDArray view = raw.reshape(expected[0], -1).transpose();
        NDArray copy = view.duplicate();
        view.close();
        raw.close();
        return copy;
    }

    public NDManager manager() {
        return manager;
    }
}
