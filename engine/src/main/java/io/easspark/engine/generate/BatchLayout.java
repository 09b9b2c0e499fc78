package io.easspark.engine.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.llama.DecoderLayer;

/**
 * Where each row of a batch sits. Rows are left-padded to the longest prompt, so every row's last prompt token is
 * at index {@code width − 1} and each decode step writes all rows at one cache index. Builds the masks, RoPE
 * positions and adapter pools for prefill and decoding (DESIGN.md §1.2, §1.3).
 */
final class BatchLayout {

    private static final float MASKED = Float.NEGATIVE_INFINITY;

    private final int[] lengths;
    private final int width;

    BatchLayout(int[] lengths) {
        this.lengths = lengths.clone();
        int w = 0;
        for (int len : lengths) {
            w = Math.max(w, len);
        }
        this.width = w;
    }

    int rows() {
        return lengths.length;
    }

    /** The padded prompt width: index of every row's last prompt token plus one. */
    int width() {
        return width;
    }

    int length(int row) {
        return lengths[row];
    }

    int pad(int row) {
        return width - lengths[row];
    }

    /** Prefill positions: 0 at the modality token; padding gets −1 (never attended). */
    int[][] prefillPositions() {
        int[][] pos = new int[rows()][width];
        for (int b = 0; b < rows(); b++) {
            for (int j = 0; j < width; j++) {
                pos[b][j] = j - pad(b);
            }
        }
        return pos;
    }

    /**
     * Positions of the token fed at decode step k (the k-th generated token): consecutive, or the original
     * evaluation's, which is one less (it shares the last prompt token's position at k = 0).
     */
    int[][] decodePositions(int step, boolean original) {
        int[][] pos = new int[rows()][1];
        for (int b = 0; b < rows(); b++) {
            pos[b][0] = lengths[b] + step - (original ? 1 : 0);
        }
        return pos;
    }

    /**
     * Prefill mask [B, 1, T, T]: causal; no query at or after the row's position 1 sees the modality token; padding
     * is never seen (a padding query sees only itself, so its softmax stays finite).
     */
    NDArray prefillMask(NDManager manager) {
        int t = width;
        float[] mask = new float[rows() * t * t];
        java.util.Arrays.fill(mask, MASKED);
        for (int b = 0; b < rows(); b++) {
            int first = pad(b);
            for (int i = 0; i < t; i++) {
                int base = (b * t + i) * t;
                if (i <= first) {
                    mask[base + i] = 0; // padding, and the modality token itself
                    continue;
                }
                for (int j = first + 1; j <= i; j++) {
                    mask[base + j] = 0;
                }
            }
        }
        return manager.create(mask, new Shape(rows(), 1, t, t));
    }

    /** Decode mask [B, 1, 1, S] for a query at cache index S − 1: every real token after the modality token. */
    NDArray decodeMask(NDManager manager, int keys) {
        float[] mask = new float[rows() * keys];
        java.util.Arrays.fill(mask, MASKED);
        for (int b = 0; b < rows(); b++) {
            for (int j = pad(b) + 1; j < keys; j++) {
                mask[b * keys + j] = 0;
            }
        }
        return manager.create(mask, new Shape(rows(), 1, 1, keys));
    }

    /**
     * Adapter pools [B, 1, T]: the router averages positions t ≥ 1 (modality token excluded), the skipped form's m
     * averages all of the row's positions; padding never counts.
     */
    DecoderLayer.Pools pools(NDManager manager) {
        int t = width;
        float[] router = new float[rows() * t];
        float[] all = new float[rows() * t];
        for (int b = 0; b < rows(); b++) {
            int first = pad(b);
            for (int j = first; j < t; j++) {
                all[b * t + j] = 1f / lengths[b];
                if (j > first) {
                    router[b * t + j] = 1f / (lengths[b] - 1);
                }
            }
        }
        Shape shape = new Shape(rows(), 1, t);
        return new DecoderLayer.Pools(manager.create(router, shape), manager.create(all, shape));
    }
}
