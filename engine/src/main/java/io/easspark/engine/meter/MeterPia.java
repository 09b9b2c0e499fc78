package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import io.easspark.engine.eas.PiaAdapter;
import io.easspark.engine.model.WeightReader;

/**
 * The PIA that replaces a skipped self- or cross-attention (DESIGN-METER.md §3.3, {@code adapter_self_attn} /
 * {@code adapter_cross_attn}):
 * {@code PIA(x0, x1) = B(0.5·(C x0 + bC + mean_n(A x1_n + bA))) + bB}, A, C d→R, B R→d grouped, scale 1.
 * The mean runs over all N tokens of x1, padding included (the original ignores the mask there). METER-EAS's PIA
 * has no router, unlike LaVIN's {@link PiaAdapter}, so it is its own class.
 */
final class MeterPia {

    /** The 0.5 of §3.3: the layer input and the attended stream's mean are averaged. */
    private static final float HALF = 0.5f;

    private final Affine mean; // A
    private final Affine input; // C
    private final Affine up; // B, dense block-diagonal

    private MeterPia(Affine mean, Affine input, Affine up) {
        this.mean = mean;
        this.input = input;
        this.up = up;
    }

    static MeterPia read(WeightReader r, String prefix, int d, int rank, int groups) {
        Affine a = Affine.read(r, prefix + ".conv_A", rank, d);
        Affine c = Affine.read(r, prefix + ".conv_C", rank, d);
        NDArray b = PiaAdapter.blockDiagonal(r.manager(), r.read(prefix + ".conv_B.weight", d, rank / groups), groups, d, rank);
        return new MeterPia(a, c, new Affine(b.transpose(), r.read(prefix + ".conv_B.bias", d)));
    }

    /**
     * @param x0 the layer input [B, T, d] (for a skipped cross-attention too: not the self-attention's output)
     * @param x1 the attended stream [B, N, d]: the layer input for self-attention, the other stream for cross
     * @return [B, T, d]
     */
    NDArray apply(NDArray x0, NDArray x1) {
        NDArray m = mean.apply(x1).mean(new int[] {1}, true); // [B, 1, R]
        return up.apply(input.apply(x0).add(m).mul(HALF)); // [B, T, d]
    }
}
