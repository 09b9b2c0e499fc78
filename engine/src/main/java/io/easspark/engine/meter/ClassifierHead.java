package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.easspark.engine.model.WeightReader;

/**
 * METER's task classifier (DESIGN-METER.md §4): {@code Linear(in, 2d) → LayerNorm(1e-5) → GELU(erf) →
 * Linear(2d, classes)}, checkpoint names {@code prefix.0}, {@code prefix.1}, {@code prefix.3}.
 */
record ClassifierHead(Affine first, Norm norm, Affine last) {

    /** LayerNorm eps of the heads. */
    static final double LN_EPS = 1e-5;

    /** The head, or null when the checkpoint has none under {@code prefix} (it was fine-tuned for another task). */
    static ClassifierHead readOptional(WeightReader r, String prefix, int in, int hidden, int classes) {
        Affine first = Affine.readOptional(r, prefix + ".0", hidden, in);
        if (first == null) {
            return null;
        }
        return new ClassifierHead(first, Norm.read(r, prefix + ".1", hidden, LN_EPS),
                Affine.read(r, prefix + ".3", classes, hidden));
    }

    /** [B, in] → [B, classes] */
    NDArray apply(NDArray x) {
        return last.apply(Activation.gelu(norm.apply(first.apply(x))));
    }
}
