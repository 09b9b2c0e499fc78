package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
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
     * Cos and signed sin for the given positions, each [B, T, 1, 1, head_dim] with every angle written for both
     * members of its pair, so {@link #rotate} is two products and a sum: cos = (c0, c0, c1, c1, ..), sin = (−s0, s0,
     * −s1, s1, ..). They broadcast over the q/k axis and the heads.
     *
     * @param positions [B][T] positions; negative entries (padding) are treated as 0
     */
    public NDList angles(NDManager manager, int[][] positions) {
        int b = positions.length;
        int t = positions[0].length;
        int width = 2 * half;
        float[] c = new float[b * t * width];
        float[] s = new float[b * t * width];
        for (int row = 0; row < b; row++) {
            for (int j = 0; j < t; j++) {
                int pos = Math.max(0, positions[row][j]);
                if (pos >= maxPositions) {
                    throw new IllegalArgumentException("position " + pos + " is beyond the context limit " + maxPositions);
                }
                int at = (row * t + j) * width;
                for (int i = 0; i < half; i++) {
                    float ci = cos[pos * half + i];
                    float si = sin[pos * half + i];
                    c[at + 2 * i] = ci;
                    c[at + 2 * i + 1] = ci;
                    s[at + 2 * i] = -si;
                    s[at + 2 * i + 1] = si;
                }
            }
        }
        Shape shape = new Shape(b, t, 1, 1, width);
        return new NDList(manager.create(c, shape), manager.create(s, shape));
    }

    /**
     * Rotates x [B, T, 2, H, head_dim] (queries and keys together) in fp32 with angles from {@link #angles}: pairs
     * (x0, x1) become (x0·cos − x1·sin, x1·cos + x0·sin), computed as {@code x·cos + swap(x)·sin} where swap
     * exchanges the members of each pair. Negating a sine and reordering a sum are exact, so this equals the
     * pairwise form bit for bit, in 6 ops instead of 11 per tensor.
     */
    public static NDArray rotate(NDArray x, NDList angles) {
        Shape shape = x.getShape();
        int last = shape.dimension() - 1;
        NDArray swapped = x.reshape(shape.slice(0, last).add(shape.get(last) / 2, 2)).flip(last + 1).reshape(shape);
        return x.mul(angles.get(0)).add(swapped.mul(angles.get(1)));
    }
}
