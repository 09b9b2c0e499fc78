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
     * Reads a 2-D weight [out, in] and returns it as [in, out] (activations multiply from the left). The result is
     * a transposed view of the same storage — no copy: BLAS reads a transposed operand as fast, and a 7B load
     * would otherwise move every byte twice. The original handle stays open in the manager on purpose: a tensor
     * made from a Java buffer does not own its memory, the handle's buffer does, and closing it would leave the
     * view pointing at memory the GC may free.
     */
    public NDArray readTransposed(String name, long... expected) {
        return read(name, expected).reshape(expected[0], -1).transpose();
    }

    public NDManager manager() {
        return manager;
    }
}
