package io.easspark.engine.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Adam} against the update rule written out in double, and its handling of undefined and NaN gradients. */
class AdamTest {

    /** fp32 arithmetic against the double reference over 5 steps. */
    static final double TOLERANCE = 1e-6;

    @Test
    void followsTheAdamWRuleWithClipping() {
        Adam.Settings s = new Adam.Settings(0.9, 0.98, 1e-8, 0.01, 1.0);
        double[] x = {0.5, -1.5, 2.0, 0.25}; // a matrix [2, 2]: weight decay applies
        double[] m = new double[4];
        double[] v = new double[4];
        double[] lr = {0.1, 0.05, 0.02, 0.01, 0.1};
        try (NDManager base = NDManager.newBaseManager(Device.cpu())) {
            NDArray leaf = base.create(new float[] {0.5f, -1.5f, 2.0f, 0.25f}, new ai.djl.ndarray.types.Shape(2, 2));
            leaf.setRequiresGradient(true);
            Map<String, NDArray> leaves = new LinkedHashMap<>();
            leaves.put("w", leaf);
            try (Adam adam = new Adam(leaves, s, base)) {
                for (int t = 1; t <= lr.length; t++) {
                    // loss = Σ c_i x_i³: gradient 3 c_i x_i², large enough that clipping at norm 1 acts
                    double[] c = {1, 2, -1, 3};
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = leaf.pow(3).mul(base.create(new float[] {1, 2, -1, 3}, new ai.djl.ndarray.types.Shape(2, 2))).sum();
                        gc.backward(loss);
                    }
                    double[] g = new double[4];
                    double norm = 0;
                    for (int i = 0; i < 4; i++) {
                        g[i] = 3 * c[i] * x[i] * x[i];
                        norm += g[i] * g[i];
                    }
                    norm = Math.sqrt(norm);
                    double clip = norm > 1 ? 1 / norm : 1;
                    for (int i = 0; i < 4; i++) {
                        double gi = g[i] * clip;
                        m[i] = 0.9 * m[i] + 0.1 * gi;
                        v[i] = 0.98 * v[i] + 0.02 * gi * gi;
                        double mh = m[i] / (1 - Math.pow(0.9, t));
                        double vh = v[i] / (1 - Math.pow(0.98, t));
                        x[i] = x[i] * (1 - lr[t - 1] * 0.01) - lr[t - 1] * mh / (Math.sqrt(vh) + 1e-8);
                    }
                    assertThat(adam.step(lr[t - 1])).isTrue();
                    assertThat(adam.lastGradNorm()).isCloseTo(norm, within(1e-4 * norm));
                    assertThat(leaf.getGradient().abs().max().getFloat()).as("gradients zeroed after the step").isZero();
                }
            }
            float[] got = leaf.toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertThat((double) got[i]).as("x[%d]", i).isCloseTo(x[i], within(TOLERANCE));
            }
        }
    }

    /** libtorch's grad mode is per thread; a fresh thread starts with it on, as Spark's and JUnit's threads may. */
    @Test
    void stepsOnAThreadWithGradModeOn() throws Exception {
        Thread t = new Thread(this::followsTheAdamWRuleWithClipping);
        Throwable[] failure = {null};
        t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        t.start();
        t.join();
        assertThat(failure[0]).as("Adam on a fresh thread").isNull();
    }

    @Test
    void aNanGradientSkipsTheStepAndTheNextStepTrainsAgain() {
        try (NDManager base = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = base.create(new float[] {1f, 2f});
            NDArray unused = base.create(new float[] {3f, 4f});
            a.setRequiresGradient(true);
            unused.setRequiresGradient(true);
            Map<String, NDArray> leaves = new LinkedHashMap<>();
            leaves.put("a", a);
            leaves.put("unused", unused);
            try (Adam adam = new Adam(leaves, new Adam.Settings(0.9, 0.999, 1e-8, 0, 0), base)) {
                // sqrt(x - 1) at x = 1 has an infinite derivative, and 0 · ∞ gives NaN in the chain rule
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(a.sub(1f).sqrt().sum());
                }
                assertThat(adam.step(0.1)).isFalse();
                assertThat(a.toFloatArray()).containsExactly(1f, 2f);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(a.square().sum());
                }
                assertThat(adam.step(0.1)).isTrue();
                // the first Adam step moves each coordinate by lr against the gradient's sign
                assertThat(a.toFloatArray()[0]).isCloseTo(0.9f, within(1e-5f));
                assertThat(a.toFloatArray()[1]).isCloseTo(1.9f, within(1e-5f));
                // never reached by a backward pass: its gradient is a defined zero and it does not move
                assertThat(unused.toFloatArray()).containsExactly(3f, 4f);
            }
        }
    }
}
