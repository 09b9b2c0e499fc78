package io.easspark.engine.eas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.testing.Close;
import org.junit.jupiter.api.Test;

/** The batch-fixed row map gives what the token-by-token adapter forms give, in both forms. */
class PiaRowMapTest {

    @Test
    void rowMapEqualsTheUnfoldedForms() {
        int d = 16;
        for (int rank : new int[] {4, 8}) {
            for (boolean skippedForm : new boolean[] {false, true}) {
                try (NDManager m = NDManager.newBaseManager()) {
                    m.getEngine().setRandomSeed(rank + (skippedForm ? 100 : 0));
                    PiaAdapter adapter = PiaAdapter.create(m, new PiaAdapter.Tensors(
                            m.randomNormal(new Shape(rank, d)), m.randomNormal(new Shape(rank)),
                            m.randomNormal(new Shape(d, rank / 2)), m.randomNormal(new Shape(d)),
                            m.randomNormal(new Shape(d, rank / 2)), m.randomNormal(new Shape(d)),
                            skippedForm ? m.randomNormal(new Shape(rank, d)) : null,
                            skippedForm ? m.randomNormal(new Shape(rank)) : null,
                            m.randomNormal(new Shape(2, d)), m.randomNormal(new Shape(2))), 2, 1.0, 10.0);
                    NDArray a = m.randomNormal(new Shape(3, 5, d)); // 3 rows, 5 tokens
                    NDArray w = adapter.routerWeights(a.mean(new int[] {1}, true)); // [3, 1, 2]
                    NDArray w0 = w.get(":, :, 0:1");
                    NDArray w1 = w.get(":, :, 1:2");
                    NDArray bias = adapter.rowBias(w);
                    NDArray mean = skippedForm ? adapter.promptMean(a.mean(new int[] {1}, true)) : null;
                    NDArray expected = skippedForm ? adapter.skipped(a, w0, w1, mean, bias) : adapter.kept(a, w0, w1, bias);
                    NDArray actual = adapter.apply(a, adapter.rowMap(w0, w1, bias, mean));
                    Close.assertClose((skippedForm ? "skipped" : "kept") + " rank " + rank, actual.toFloatArray(),
                            expected.toFloatArray(), 1e-4);
                }
            }
        }
    }
}
