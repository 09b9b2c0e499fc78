package io.easspark.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.testing.Close;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RopeTableTest {

    /**
     * Meta's pairwise rotation written out in double: pair (2i, 2i+1) at position p turns by p·θ^(−2i/hd)
     * (DESIGN.md §1.2), for x [B, T, 2, H, hd].
     */
    private static float[] reference(float[] x, int[][] pos, int b, int t, int h, int hd, double theta) {
        float[] y = new float[x.length];
        for (int row = 0; row < b; row++) {
            for (int j = 0; j < t; j++) {
                for (int qk = 0; qk < 2; qk++) {
                    for (int head = 0; head < h; head++) {
                        int base = (((row * t + j) * 2 + qk) * h + head) * hd;
                        for (int i = 0; i < hd / 2; i++) {
                            double angle = Math.max(0, pos[row][j]) * (float) (1.0 / Math.pow(theta, 2.0 * i / hd));
                            double x0 = x[base + 2 * i];
                            double x1 = x[base + 2 * i + 1];
                            y[base + 2 * i] = (float) (x0 * Math.cos(angle) - x1 * Math.sin(angle));
                            y[base + 2 * i + 1] = (float) (x0 * Math.sin(angle) + x1 * Math.cos(angle));
                        }
                    }
                }
            }
        }
        return y;
    }

    @Test
    void rotatesQueriesAndKeysByTheirPositions() {
        int b = 2;
        int t = 3;
        int h = 2;
        int hd = 8;
        int[][] positions = {{-1, 0, 5}, {7, 8, 40}}; // padding (−1) turns like position 0
        SplittableRandom r = new SplittableRandom(11);
        float[] x = new float[b * t * 2 * h * hd];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        RopeTable table = new RopeTable(hd, 10000, 64);
        try (NDManager m = NDManager.newBaseManager()) {
            NDList angles = table.angles(m, positions);
            assertThat(angles.get(0).getShape()).isEqualTo(new Shape(b, t, 1, 1, hd));
            NDArray y = RopeTable.rotate(m.create(x, new Shape(b, t, 2, h, hd)), angles);
            Close.assertClose("rotated", y.toFloatArray(), reference(x, positions, b, t, h, hd, 10000), 2e-6);
            assertThatThrownBy(() -> table.angles(m, new int[][] {{64}})).hasMessageContaining("beyond the context limit 64");
        }
    }
}
