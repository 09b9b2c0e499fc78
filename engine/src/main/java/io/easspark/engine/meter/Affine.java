package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import io.easspark.engine.model.WeightReader;

/**
 * {@code y = x·Wᵀ + b} for a weight stored [out, in], kept as its transposed view [in, out] (activations multiply
 * from the left, as everywhere in the engine).
 */
record Affine(NDArray wT, NDArray b) {

    /** Reads {@code prefix.weight} [out, in] and {@code prefix.bias} [out]. */
    static Affine read(WeightReader r, String prefix, int out, int in) {
        return new Affine(r.readTransposed(prefix + ".weight", out, in), r.read(prefix + ".bias", out));
    }

    /** Like {@link #read}, or null when the checkpoint has no {@code prefix.weight} (an absent task head). */
    static Affine readOptional(WeightReader r, String prefix, int out, int in) {
        NDArray w = r.readOptional(prefix + ".weight", out, in); // read once: a second read would load it twice
        return w == null ? null : new Affine(w.transpose(), r.read(prefix + ".bias", out));
    }

    /** x [.., in] → [.., out] */
    NDArray apply(NDArray x) {
        return x.matMul(wT).add(b);
    }
}
