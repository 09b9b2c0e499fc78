package io.easspark.engine.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.testing.Fixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Stage 0's read-out and loop: the loss is the groups' mean cross-entropy written out in double, the read-out ignores
 * the taps' scale (it standardises over the batch), and training on pictures moves the tower's weights only and learns what the labels say.
 */
class SceneHeadTest {

    private static final int[] GROUPS = {3, 2};
    private static final String[] KINDS = {"shape", "colour"};

    @Test
    void lossIsTheMeanCrossEntropyOfTheGroups() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); SceneHead head = new SceneHead(6, GROUPS, KINDS, 3, m)) {
            SplittableRandom r = new SplittableRandom(9);
            float[] taps = new float[4 * 2 * 3];
            for (int i = 0; i < taps.length; i++) {
                taps[i] = (float) (r.nextDouble() * 8 - 4);
            }
            int[][] labels = {{0, 1}, {2, 0}, {1, 1}, {2, 1}};
            NDArray x = m.create(taps, new Shape(4, 2, 3));
            NDArray logits = head.logits(x);
            double loss = head.loss(logits, labels).getFloat();
            float[] l = logits.toFloatArray(); // [4, 5]
            double expected = 0;
            for (int i = 0; i < 4; i++) {
                expected += -logSoftmax(l, i * 5, 3, labels[i][0]) - logSoftmax(l, i * 5 + 3, 2, labels[i][1]);
            }
            assertThat(loss).isCloseTo(expected / (4 * 2), within(1e-5));
            assertThat(head.logits(x.mul(25f)).toFloatArray()).as("each feature is standardised over the batch first, so the taps' scale does not matter")
                    .containsExactly(l, org.assertj.core.data.Offset.offset(1e-4f));
            int[][] predicted = head.predict(logits);
            for (int i = 0; i < 4; i++) {
                assertThat(predicted[i][0]).isEqualTo(argMax(l, i * 5, 3));
                assertThat(predicted[i][1]).isEqualTo(argMax(l, i * 5 + 3, 2));
            }
            assertThatThrownBy(() -> head.loss(logits, new int[][] {{0, 2}, {0, 0}, {0, 0}, {0, 0}}))
                    .hasMessageContaining("outside its 2 classes");
        }
    }

    @Test
    void visionStageTrainsTheTowerAloneAndLearnsTheLabels() {
        Fixture lavin = Fixture.load("lavin_tiny");
        LavinConfig config = lavin.config();
        Map<String, float[]> values = new TreeMap<>();
        try (NDManager base = NDManager.newBaseManager(Device.cpu())) {
            for (String name : NativeLayout.tensors(config).keySet()) {
                values.put(name, lavin.weights().load(name, base).toFloatArray());
            }
        }
        // a label the pixels decide: which half of the picture holds a bright square
        int s = config.vision().imageSize();
        SplittableRandom r = new SplittableRandom(4);
        List<SceneExample> pictures = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            int side = r.nextInt(2);
            float[] px = new float[3 * s * s];
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        boolean inside = y >= s / 4 && y < 3 * s / 4 && (side == 0 ? x < s / 2 - 4 && x >= 4 : x >= s / 2 + 4 && x < s - 4);
                        px[(c * s + y) * s + x] = (float) ((inside ? 1.5 : -1.0) + 0.2 * r.nextGaussian());
                    }
                }
            }
            pictures.add(new SceneExample(px, new int[] {side + 1, 1}));
        }
        List<EasTuner.CurvePoint> seen = new ArrayList<>();
        EasTuner tuner = new EasTuner(config, new EasTuner.Settings(8, 16, 10, 2), (p, steps, norm, eta) -> seen.add(p));
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             TrainableWeights w = TrainableWeights.of(config, values, n -> !TrainingInit.isAdapter(n), root);
             SceneHead head = new SceneHead(config.vision().taps() * config.vision().width(), GROUPS, KINDS, 5, root)) {
            double before = tuner.evaluateVision(w, head, pictures).loss();
            tuner.trainVision(w, head, pictures, pictures.subList(0, 16), new LearningRate(3e-3, 2, 40, 0.1));
            EasTuner.Accuracy after = tuner.evaluateVision(w, head, pictures);
            assertThat(after.loss()).isLessThan(before * 0.5);
            assertThat(after.percent("shape")).as("the side of the square, read from the class-token taps").isGreaterThan(90);
            Map<String, float[]> trained = w.values();
            boolean towerMoved = false;
            for (String name : values.keySet()) {
                boolean tower = name.startsWith("backbone.visual.") && !TrainingInit.isAdapter(name);
                if (!tower) {
                    assertThat(trained.get(name)).as(name + " is not the tower's: bit-identical").isEqualTo(values.get(name));
                } else if (!java.util.Arrays.equals(trained.get(name), values.get(name))) {
                    towerMoved = true;
                }
            }
            assertThat(towerMoved).isTrue();
        }
        assertThat(seen).hasSize(40);
        assertThat(seen.get(9).evaluation()).as("an evaluation every 10 steps").isNotNull();
        assertThat(seen.get(9).stage()).isEqualTo("vision");
    }

    private static double logSoftmax(float[] l, int from, int n, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, l[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(l[from + i] - max);
        }
        return l[from + k] - max - Math.log(sum);
    }

    private static int argMax(float[] l, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (l[from + i] > l[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
