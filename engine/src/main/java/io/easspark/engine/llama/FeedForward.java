package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

/**
 * SwiGLU FFN, {@code W2(silu(W1·u + b1) ⊙ (W3·u + b3))} (DESIGN.md §1.3). W1 (gate) and W3 (up) are stored fused,
 * [2F, D], so both run as one matmul.
 */
public final class FeedForward {

    private FeedForward() {
    }

    /**
     * @param u [B, T, D]
     * @param w13 [2F, D] gate then up, and {@code w13T} its transposed view
     * @param b13 bias [.., 2F] broadcastable to [B, T, 2F], or null
     * @param w2 [D, F] and {@code w2T} its transposed view
     */
    public static NDArray apply(NDArray u, NDArray w13, NDArray w13T, NDArray b13, NDArray w2, NDArray w2T) {
        NDArray h = Linear.apply(u, w13, w13T, b13); // [B, T, 2F]
        NDList gateUp = h.split(2, h.getShape().dimension() - 1); // DJL wants a non-negative axis here
        NDArray gate = gateUp.get(0);
        return Linear.apply(Activation.sigmoid(gate).mul(gate).mul(gateUp.get(1)), w2, w2T); // [B, T, D]
    }
}
