package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import io.easspark.engine.eas.PiaAdapter;
import io.easspark.engine.model.WeightReader;

/**
 * The adapter in front of a kept module (DESIGN-METER.md §3.2): {@code Ad(z) = z + B(C z + bC) + bB}, C d→r,
 * B r→d grouped. It feeds q/k/v (self-attention), q (cross-attention) or the FFN; residuals use the raw input.
 */
final class KeptAdapter {

    private final Affine down; // C
    private final Affine up; // B, expanded to dense block-diagonal

    private KeptAdapter(Affine down, Affine up) {
        this.down = down;
        this.up = up;
    }

    /** Reads {@code prefix.conv_C} [r, d] and {@code prefix.conv_B} [d, r/groups] (1×1 convs, squeezed). */
    static KeptAdapter read(WeightReader r, String prefix, int d, int rank, int groups) {
        Affine down = Affine.read(r, prefix + ".conv_C", rank, d);
        NDArray b = PiaAdapter.blockDiagonal(r.manager(), r.read(prefix + ".conv_B.weight", d, rank / groups), groups, d, rank);
        Affine up = new Affine(b.transpose(), r.read(prefix + ".conv_B.bias", d));
        return new KeptAdapter(down, up);
    }

    /** z [B, T, d] → [B, T, d] */
    NDArray apply(NDArray z) {
        return z.add(up.apply(down.apply(z)));
    }
}
