package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** RMSNorm as DESIGN.md §1: {@code y = g ⊙ cast(x · rsqrt(mean(x²) + eps))}, statistics in fp32. */
public final class RmsNorm {

    private RmsNorm() {
    }

    /** Normalises the last axis of {@code x} and applies the gain {@code g} [D]. */
    public static NDArray apply(NDArray x, NDArray g, double eps) {
        return normalize(x, eps).mul(g);
    }

    /** The normalisation without the gain (a skipped layer's FFN takes only the gain, DESIGN §1.3). */
    public static NDArray normalize(NDArray x, double eps) {
        DataType activation = x.getDataType();
        NDArray x32 = activation == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        // statistics in fp32 even when activations are bf16/fp16
        NDArray rms = x32.square().mean(new int[] {-1}, true).add((float) eps).sqrt();
        NDArray y = x32.div(rms);
        return activation == DataType.FLOAT32 ? y : y.toType(activation, false);
    }
}
