package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * METER's task losses on the meter_tiny fixture (10 VQA classes, both heads), against references computed here in
 * double by the textbook formulas — {@code −t·log σ(x) − (1 − t)·log(1 − σ(x))} summed over classes, and
 * {@code −log(e^x_label / (e^f + e^t))} — from the model's own logits and from the float64 reference's logits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeterTaskLossTest {

    static final double TOLERANCE = 1e-4;
    /** The fixture's answer classes (its VQA head has 10). */
    static final Map<String, Integer> ANS2LABEL = Map.of("yes", 0, "no", 1, "red", 2, "blue", 3, "two", 4, "dog", 5, "cat", 6,
            "tree", 7, "car", 8, "sky", 9);

    MeterFixture f;
    MeterModel model;
    MeterSkipSet skips;

    @BeforeAll
    void load() {
        f = MeterFixture.load();
        model = MeterModel.load(f.config, f.weights(), Device.cpu());
        System.gc(); // weights made from Java buffers: collect before using them (as MeterParityTest)
        skips = MeterSkipSet.of(f.config.fusionLayers(), f.indices("default"), MeterSkipSet.IndexMapping.INTENDED);
    }

    @AfterAll
    void close() {
        model.close();
    }

    @Test
    void softScoresFollowVqav2sAnnotatorCounts() {
        assertThat(List.of(0, 1, 2, 3, 4, 10).stream().map(VqaTarget::score).toList()).containsExactly(0.0, 0.3, 0.6, 0.9, 1.0, 1.0);
        // ten annotators: yes ×6, no ×2, maybe ×1 (not in the vocabulary: dropped), red ×1
        VqaTarget t = VqaTarget.of(List.of("yes", "no", "yes", "maybe", "yes", "yes", "no", "red", "yes", "yes"), ANS2LABEL);
        assertThat(t.labels()).containsExactly(0, 1, 2);
        assertThat(t.scores()).containsExactly(1.0, 0.6, 0.3);
        assertThat(t.dense(4)).containsExactly(1.0, 0.6, 0.3, 0.0);
        // answers are looked up as given, as the original does: "Yes" is not "yes"
        assertThat(VqaTarget.of(List.of("Yes", "Yes", "Yes"), ANS2LABEL).labels()).isEmpty();
        assertThat(VqaTarget.single("cat", ANS2LABEL).dense(10)[6]).isEqualTo(1.0);
    }

    @Test
    void vqaLossIsTheBinaryCrossEntropySummedOverClasses() {
        long[][] ids = f.ids();
        int b = ids.length;
        List<VqaTarget> targets = new ArrayList<>();
        for (int r = 0; r < b; r++) { // a different annotator mix per row, one with no answer in the vocabulary
            targets.add(r == 1 ? VqaTarget.of(List.of("maybe"), ANS2LABEL)
                    : VqaTarget.of(List.of("yes", "yes", "no", "cat", "cat", "cat", "cat", "sky").subList(0, 8 - r), ANS2LABEL));
        }
        float[] ours;
        float[][] pixels = rows(f.expected("pixels0").floats(), b);
        try (NDManager scope = model.newScope()) {
            NDArray px = f.pixels("pixels0", scope);
            ours = model.vqaLogits(model.fuse(ids, px, MeterModel.TYPE_IMAGE, skips, scope).pooled()).toFloatArray();
        }
        float[] reference = f.expected("default_vqa").floats(); // the float64 reference's logits, stored fp32
        List<MeterTaskLoss.VqaRow> rows = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            rows.add(new MeterTaskLoss.VqaRow(ids[r], pixels[r], targets.get(r)));
        }
        List<MeterTaskLoss.RowLoss> losses = MeterTaskLoss.vqa(model, skips, rows);
        assertThat(losses).hasSize(b);
        int c = f.config.vqaLabels();
        for (int r = 0; r < b; r++) {
            double[] t = targets.get(r).dense(c);
            assertThat(losses.get(r).loss()).as("row %d against the engine's logits", r)
                    .isCloseTo(bce(ours, r * c, t), within(TOLERANCE));
            assertThat(losses.get(r).loss()).as("row %d against the float64 reference's logits", r)
                    .isCloseTo(bce(reference, r * c, t), within(TOLERANCE));
            assertThat(losses.get(r).credit()).isEqualTo(t[argmax(ours, r * c, c)]);
        }
        assertThat(losses.get(0).loss()).isGreaterThan(0).isNotEqualTo(losses.get(1).loss());
    }

    @Test
    void nlvr2LossIsTheCrossEntropyOverFalseAndTrue() {
        long[][] ids = f.ids();
        int b = ids.length;
        float[][] first = rows(f.expected("pixels0").floats(), b);
        float[][] second = rows(f.expected("pixels1").floats(), b);
        float[] reference = f.expected("default_nlvr2").floats();
        List<MeterTaskLoss.Nlvr2Row> rows = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            rows.add(new MeterTaskLoss.Nlvr2Row(ids[r], first[r], second[r], r % 2 == 0));
        }
        List<MeterTaskLoss.RowLoss> losses = MeterTaskLoss.nlvr2(model, skips, rows);
        for (int r = 0; r < b; r++) {
            double f0 = reference[2 * r];
            double t1 = reference[2 * r + 1];
            boolean label = r % 2 == 0;
            double expected = -Math.log(Math.exp(label ? t1 : f0) / (Math.exp(f0) + Math.exp(t1)));
            assertThat(losses.get(r).loss()).as("row %d", r).isCloseTo(expected, within(TOLERANCE));
            assertThat(losses.get(r).credit()).isEqualTo((t1 > f0) == label ? 1.0 : 0.0);
        }
    }

    @Test
    void rowFormulasAreStableForLargeLogitsAndHandChecked() {
        // x = 0: each class costs log 2 whatever its target; two classes
        VqaTarget half = new VqaTarget(new int[] {1}, new double[] {0.6});
        assertThat(MeterTaskLoss.vqaRow(new float[] {0f, 0f}, 0, 2, half).loss()).isCloseTo(2 * Math.log(2), within(1e-12));
        // x = 100 with t = 1 costs ~0 and with t = 0 costs ~100: no overflow to infinity
        VqaTarget yes = new VqaTarget(new int[] {0}, new double[] {1.0});
        assertThat(MeterTaskLoss.vqaRow(new float[] {100f, 100f}, 0, 2, yes).loss()).isCloseTo(100.0, within(1e-9));
        assertThat(MeterTaskLoss.nlvr2Row(0f, 0f, true).loss()).isCloseTo(Math.log(2), within(1e-12));
        assertThat(MeterTaskLoss.nlvr2Row(-500f, 500f, true).loss()).isCloseTo(0.0, within(1e-12));
        assertThat(MeterTaskLoss.nlvr2Row(0f, 0f, true).credit()).isZero(); // a tie predicts index 0, false
        assertThatThrownBy(() -> MeterTaskLoss.vqaRow(new float[2], 0, 2, new VqaTarget(new int[] {5}, new double[] {1})))
                .hasMessageContaining("names class 5 but the head has 2");
    }

    /** −Σ_c [t·log σ(x) + (1 − t)·log(1 − σ(x))], directly. */
    private static double bce(float[] logits, int offset, double[] t) {
        double sum = 0;
        for (int c = 0; c < t.length; c++) {
            double s = 1 / (1 + Math.exp(-logits[offset + c]));
            sum -= t[c] * Math.log(s) + (1 - t[c]) * Math.log(1 - s);
        }
        return sum;
    }

    private static int argmax(float[] x, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            best = x[offset + i] > x[offset + best] ? i : best;
        }
        return best;
    }

    private static float[][] rows(float[] all, int n) {
        float[][] out = new float[n][];
        int size = all.length / n;
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(all, i * size, (i + 1) * size);
        }
        return out;
    }
}
