package io.easspark.engine.eas;

import static io.easspark.engine.testing.Close.assertClose;
import static io.easspark.engine.testing.Close.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.generate.LavinParityTest;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The re-parameterisation modes of DESIGN.md §1.4 agree where each applies; the original's bias differs. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReparamTest {

    /** Modes are the same math in another order: fp32 round-off. */
    static final double MODE_TOLERANCE = 1e-5;

    Fixture lavin;
    Fixture pinned;

    @BeforeAll
    void load() {
        lavin = Fixture.load("lavin_tiny");
        pinned = Fixture.load("pinned_tiny");
    }

    float[] logits(Fixture f, String plan, ReparamMode mode, int row) {
        try (LavinModel model = LavinModel.load(f.config(), f.weights(), LavinParityTest.plan(f, plan), mode, Device.cpu());
             NDManager scope = model.newScope()) {
            return new BatchGenerator(model).prefillForTest(List.of(f.row(row)), scope).logits().toFloatArray();
        }
    }

    @Test
    void mergedEqualsLowRankAtBatchOne() {
        for (String plan : new String[] {"none", "some", "all"}) {
            for (int r = 0; r < lavin.rowCount(); r++) {
                assertClose(plan + " row " + r, logits(lavin, plan, ReparamMode.MERGED, r),
                        logits(lavin, plan, ReparamMode.LOWRANK, r), MODE_TOLERANCE);
            }
        }
    }

    @Test
    void mergedMatchesTheReferenceFoldAndTheOriginalBiasDiffers() {
        float[] exact = logits(lavin, "some", ReparamMode.MERGED, 0);
        float[] bug = logits(lavin, "some", ReparamMode.MERGED_BUG, 0);
        assertClose("merged vs reference fold", exact, lavin.expected("some_r0_logits_merged_exact").floats(),
                LavinParityTest.REFERENCE_TOLERANCE);
        assertClose("merged_bug vs reference's original fold", bug, lavin.expected("some_r0_logits_merged_bug").floats(),
                LavinParityTest.REFERENCE_TOLERANCE);
        // the original's bias Wq·M·c instead of Wq·c moves the logits by far more than round-off
        assertThat(maxAbsDiff(bug, exact)).isGreaterThan(0.05);
    }

    @Test
    void staticEqualsLowRankForAPinnedRouterAtAnyBatch() {
        for (String plan : new String[] {"none", "some", "allbutone"}) {
            try (LavinModel lowrank = LavinModel.load(pinned.config(), pinned.weights(), LavinParityTest.plan(pinned, plan),
                    ReparamMode.LOWRANK, Device.cpu());
                 LavinModel folded = LavinModel.load(pinned.config(), pinned.weights(), LavinParityTest.plan(pinned, plan),
                    ReparamMode.STATIC, Device.cpu());
                 NDManager a = lowrank.newScope();
                 NDManager b = folded.newScope()) {
                float[] expected = new BatchGenerator(lowrank).prefillForTest(pinned.rows(), a).logits().toFloatArray();
                float[] actual = new BatchGenerator(folded).prefillForTest(pinned.rows(), b).logits().toFloatArray();
                assertClose(plan + " static vs lowrank, batch " + pinned.rowCount(), actual, expected, MODE_TOLERANCE);
                GenerationConfig cfg = GenerationConfig.greedy(8);
                var g1 = new BatchGenerator(lowrank).generate(pinned.rows(), cfg);
                var g2 = new BatchGenerator(folded).generate(pinned.rows(), cfg);
                for (int r = 0; r < g1.size(); r++) {
                    assertThat(g2.get(r).tokens()).containsExactly(g1.get(r).tokens());
                }
            }
        }
        assertClose("pinned static vs reference", logits(pinned, "some", ReparamMode.STATIC, 1),
                pinned.expected("some_r1_logits").floats(), LavinParityTest.REFERENCE_TOLERANCE);
    }

    @Test
    void staticRefusesADynamicRouter() {
        assertThatThrownBy(() -> LavinModel.load(lavin.config(), lavin.weights(), LavinParityTest.plan(lavin, "some"),
                ReparamMode.STATIC, Device.cpu()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reparam static needs a pinned router")
                .hasMessageContaining("layers.0.adapter_attn.expert_weights.weight");
    }

    @Test
    void mergedRefusesBatchesLargerThanOne() {
        try (LavinModel model = LavinModel.load(lavin.config(), lavin.weights(), LavinParityTest.plan(lavin, "some"),
                ReparamMode.MERGED, Device.cpu())) {
            assertThatThrownBy(() -> new BatchGenerator(model).generate(lavin.rows(), GenerationConfig.greedy(2)))
                    .hasMessageContaining("reparam merged folds weights per row and needs batch size 1; got 4");
        }
    }
}
