package io.easspark.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.testing.Close;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LinearTest {

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** y[m][o] = Σ_i x[m][i]·w[o][i] + b[o], in double: the reference both orientations must meet. */
    private static float[] reference(float[] x, float[] w, float[] b, int rows, int in, int out) {
        float[] y = new float[rows * out];
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[m * in + i] * w[o * in + i];
                }
                y[m * out + o] = (float) s;
            }
        }
        return y;
    }

    @Test
    void everyRowCountMatchesTheDotProducts() {
        int in = 24;
        int out = 40;
        SplittableRandom r = new SplittableRandom(3);
        float[] w = random(r, out * in);
        float[] b = random(r, out);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray weight = m.create(w, new Shape(out, in));
            NDArray weightT = weight.transpose();
            NDArray bias = m.create(b);
            // 1 row (x·Wᵀ), 2..256 rows (weight first), 300 rows (x·Wᵀ again); 3-D inputs keep their leading axes
            for (int[] bt : new int[][] {{1, 1}, {2, 1}, {16, 1}, {4, 7}, {1, 256}, {3, 100}}) {
                int rows = bt[0] * bt[1];
                float[] x = random(r, rows * in);
                try (NDManager scope = m.newSubManager()) {
                    NDArray input = scope.create(x, new Shape(bt[0], bt[1], in));
                    assertThat(Linear.weightFirst(input)).as("%d rows", rows).isEqualTo(rows > 1 && rows <= 256);
                    NDArray y = Linear.apply(input, weight.get(scope, new ai.djl.ndarray.index.NDIndex(":")), weightT, bias);
                    assertThat(y.getShape()).isEqualTo(new Shape(bt[0], bt[1], out));
                    assertThat(y.getManager()).isSameAs(scope);
                    Close.assertClose(rows + " rows", y.toFloatArray(), reference(x, w, b, rows, in, out), 1e-5);
                    // a product reading the feature-major result must see the same values as a contiguous copy
                    Close.assertClose(rows + " rows, read back", y.mul(2).toFloatArray(),
                            scope.create(reference(x, w, b, rows, in, out)).mul(2).toFloatArray(), 2e-5);
                }
            }
        }
    }
}
