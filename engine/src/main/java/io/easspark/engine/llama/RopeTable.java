package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position angles for Meta's interleaved-pair layout (DESIGN.md §1.2): pair (2i, 2i+1) of each head is
 * rotated by {@code pos·θ^(−2i/head_dim)}. Angles are computed in double once; each call gathers the rows it needs.
 */
public final class RopeTable {

    private final int half;
    private final int maxPositions;
    private final float[] cos;
    private final float[] sin;

    public RopeTable(int headDim, double theta, int maxPositions) {
        this.half = headDim / 2;
        this.maxPositions = maxPositions;
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        for (int i = 0; i < half; i++) {
            // Meta computes the frequencies in fp32; the cast keeps our angles equal to theirs
            float freq = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
            for (int p = 0; p < maxPositions; p++) {
                float angle = (float) p * freq;
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /**
     * Cos and sin for the given positions, each [B, T, 1, head_dim/2] so they broadcast over heads.
     *
     * @param positions [B][T] positions; negative entries (padding) are treated as 0
     */
    public NDList angles(NDManager manager, int[][] positions) {
        int b = positions.length;
        int t = positions[0].length;
        float[] c = new float[b * t * half];
        float[] s = new float[b * t * half];
        for (int row = 0; row < b; row++) {
            for (int j = 0; j < t; j++) {
                int pos = Math.max(0, positions[row][j]);
                if (pos >= maxPositions) {
                    throw new IllegalArgumentException("position " + pos + " is beyond the context limit " + maxPositions);
                }
                System.arraycopy(cos, pos * half, c, (row * t + j) * half, half);
                System.arraycopy(sin, pos * half, s, (row * t + j) * half, half);
            }
        }
        Shape shape = new Shape(b, t, 1, half);
        return new NDList(manager.create(c, shape), manager.create(s, shape));
    }

    /**
     * Rotates x [B, T, H, head_dim] in fp32 with angles from {@link #angles}: pairs (x0, x1) become
     * (x0·cos − x1·sin, x0·sin + x1·cos).
     */
    public static NDArray rotate(NDArray x, NDList angles) {
        Shape shape = x.getShape();
        NDArray pairs = x.reshape(shape.get(0), shape.get(1), shape.get(2), shape.get(3) / 2, 2); // [B, T, H, hd/2, 2]
        NDArray x0 = pairs.get("..., 0");
        NDArray x1 = pairs.get("..., 1");
        NDArray cos = angles.get(0);
        NDArray sin = angles.get(1);
        NDArray r0 = x0.mul(cos).sub(x1.mul(sin));
        NDArray r1 = x0.mul(sin).add(x1.mul(cos));
        return NDArrays.stack(new NDList(r0, r1), r0.getShape().dimension()).reshape(shape);
    }
}
