package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import io.easspark.engine.model.WeightReader;

/** LayerNorm over the last axis with its own eps (fusion 1e-12, RoBERTa, CLIP and heads 1e-5: DESIGN-METER.md §5). */
record Norm(NDArray gamma, NDArray beta, float eps) {

    static Norm read(WeightReader r, String prefix, int width, double eps) {
        return new Norm(r.read(prefix + ".weight", width), r.read(prefix + ".bias", width), (float) eps);
    }

    NDArray apply(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(gamma.getShape().get(0)), gamma, beta, eps).singletonOrThrow();
    }
}
