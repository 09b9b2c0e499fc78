package io.easspark.engine.generate;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Identities that must hold at any size: a batch of rows of different lengths, with and without images, gives each
 * row what it gets alone; cached decoding gives what a full recompute gives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchingTest {

    /** Batched vs row-by-row: the same fp32 math on padded shapes, so only GEMM blocking differs. */
    static final double BATCH_TOLERANCE = 1e-5;
    /** Cached decode vs full recompute: different matmul shapes, same math. */
    static final double RECOMPUTE_TOLERANCE = 1e-5;

    Fixture lavin;

    @BeforeAll
    void load() {
        lavin = Fixture.load("lavin_tiny");
    }

    LavinModel model(String plan) {
        return LavinModel.load(lavin.config(), lavin.weights(), LavinParityTest.plan(lavin, plan), ReparamMode.LOWRANK, Device.cpu());
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "some", "all"})
    void batchedPrefillEqualsRowByRow(String plan) {
        try (LavinModel model = model(plan); NDManager scope = model.newScope()) {
            BatchGenerator gen = new BatchGenerator(model);
            List<PromptSequence> rows = lavin.rows();
            BatchGenerator.Prefill batched = gen.prefillForTest(rows, scope);
            for (int r = 0; r < rows.size(); r++) {
                NDArray alone = gen.prefillForTest(List.of(rows.get(r)), scope).logits(); // [1, T_r, V]
                int pad = batched.pads()[r];
                NDArray mine = batched.logits().get(new NDIndex("{}:{}, {}:", r, r + 1, pad));
                assertThat(mine.getShape()).isEqualTo(alone.getShape());
                assertClose(plan + " row " + r + " logits in a batch of " + rows.size(), mine.toFloatArray(),
                        alone.toFloatArray(), BATCH_TOLERANCE);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "some", "allbutone", "all"})
    void batchedGenerationEqualsRowByRow(String plan) {
        try (LavinModel model = model(plan)) {
            BatchGenerator gen = new BatchGenerator(model);
            GenerationConfig cfg = GenerationConfig.greedy(8).withRecordLogits(true);
            List<PromptSequence> rows = new ArrayList<>(lavin.rows());
            rows.add(lavin.row(0)); // a duplicate row must not disturb anything either
            List<Generation> batched = gen.generate(rows, cfg);
            for (int r = 0; r < rows.size(); r++) {
                Generation alone = gen.generate(List.of(rows.get(r)), cfg).get(0);
                assertThat(batched.get(r).tokens()).as("row %d tokens", r).containsExactly(alone.tokens());
                assertThat(batched.get(r).stop()).isEqualTo(alone.stop());
                for (int k = 0; k < alone.stepLogits().length; k++) {
                    assertClose("row " + r + " step " + k, batched.get(r).stepLogits()[k], alone.stepLogits()[k], BATCH_TOLERANCE);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void cachedDecodeEqualsFullRecompute(boolean originalPositions) {
        for (String plan : new String[] {"none", "some"}) {
            try (LavinModel model = model(plan); NDManager scope = model.newScope()) {
                BatchGenerator gen = new BatchGenerator(model);
                GenerationConfig cfg = GenerationConfig.greedy(8).withRecordLogits(true).withOriginalPositions(originalPositions);
                for (int r = 0; r < lavin.rowCount(); r++) {
                    PromptSequence row = lavin.row(r);
                    Generation g = gen.generate(List.of(row), cfg).get(0);
                    NDArray full = gen.recomputeForTest(row, g.tokens(), originalPositions, scope); // [1, T+n-1, V]
                    int t = g.promptPositions();
                    for (int k = 0; k < g.tokens().length; k++) {
                        float[] recomputed = full.get(new NDIndex("0, {}", t - 1 + k)).toFloatArray();
                        assertClose(plan + " row " + r + " step " + k, g.stepLogits()[k], recomputed, RECOMPUTE_TOLERANCE);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 7})
    void sampledRowsDoNotDependOnTheirNeighbours(long seed) {
        try (LavinModel model = model("some")) {
            BatchGenerator gen = new BatchGenerator(model);
            GenerationConfig cfg = GenerationConfig.greedy(8).withSampling(1.5, 0.9, seed);
            List<PromptSequence> rows = lavin.rows();
            List<Generation> batched = gen.generate(rows, cfg);
            for (int r = 0; r < rows.size(); r++) {
                assertThat(batched.get(r).tokens()).as("row %d", r)
                        .containsExactly(gen.generate(List.of(rows.get(r)), cfg).get(0).tokens());
            }
        }
    }
}
