package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

/**
 * SwiGLU FFN, {@code W2(silu(W1·u + b1) ⊙ (W3·u + b3))} (DESIGN.md §1.3). W1 (gate) and W3 (up) are stored fused
 * and transposed, [D, 2F], so both run as one matmul.
 */
public final class FeedForward {

    private FeedForward() {
    }

    /**
     * @param u [B, T, D]
     * @param w13T [D, 2F] gate then up, transposed
     * @param b13 bias [.., 2F] broadcastable to [B, T, 2F], or null
     * @param w2T [F, D]
     */
    public static NDArray apply(NDArray u, NDArray w13T, NDArray b13, NDArray w2T) {
        NDArray h = u.matMul(w13T); // [B, T, 2F]
        if (b13 != null) {
            h = h.add(b13);
        }
        NDList gateUp = h.split(2, h.getShape().dimension() - 1); // DJL wants a non-negative axis here
        NDArray gate = gateUp.get(0);
        return Activation.sigmoid(gate).mul(gate).mul(gateUp.get(1)).matMul(w2T); // [B, T, D]
    }
}
