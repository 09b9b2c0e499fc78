package io.easspark.engine.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.Generation;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.generate.LavinParityTest;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The teacher-forced answer loss against a hand computation in Java doubles from the full prefill logits, and
 * batched against row by row, on the tiny fixture (rows with and without images).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnswerLossTest {

    /** fp32 logits and log-softmax vs the same logits' log-softmax in double: fp32 round-off. */
    static final double HAND_TOLERANCE = 1e-5;
    /** Batched vs row by row: the same fp32 math on padded shapes (as BatchingTest). */
    static final double BATCH_TOLERANCE = 1e-5;
    /** Answer lengths per fixture row: different, so padding and the answer columns differ per row. */
    static final int[] ANSWER_LENGTHS = {3, 1, 6, 4};

    Fixture lavin;
    List<ScoredRow> rows;

    @BeforeAll
    void load() {
        lavin = Fixture.load("lavin_tiny");
        int vocab = lavin.config().text().vocabSize();
        SplittableRandom random = new SplittableRandom(11);
        rows = new ArrayList<>();
        for (int r = 0; r < lavin.rowCount(); r++) {
            long[] answer = random.longs(ANSWER_LENGTHS[r], 3, vocab).toArray();
            rows.add(new ScoredRow(lavin.row(r), answer));
        }
    }

    LavinModel model(String plan, ReparamMode mode) {
        return LavinModel.load(lavin.config(), lavin.weights(), LavinParityTest.plan(lavin, plan), mode, Device.cpu());
    }

    /**
     * The independent computation: prompt ids followed by the answer ids as one unpadded row, all logits from
     * {@code prefillForTest}, then log-softmax, the mean of −log p and the argmax check by hand in doubles.
     */
    static RowLoss byHand(LavinModel model, ScoredRow row) {
        PromptSequence p = row.prompt();
        long[] prompt = p.promptIds();
        long[] answer = row.answerIds();
        long[] ids = new long[prompt.length + answer.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        PromptSequence whole = new PromptSequence(p.prefixIds(), p.pixels(), ids, p.rowKey());
        int v = model.config().text().vocabSize();
        float[] logits;
        try (NDManager scope = model.newScope()) {
            logits = new BatchGenerator(model).prefillForTest(List.of(whole), scope).logits().toFloatArray(); // [1, T, V]
        }
        int t = logits.length / v;
        double sum = 0;
        boolean exact = true;
        for (int j = 0; j < answer.length; j++) {
            int at = t - answer.length + j - 1; // the position before answer token j
            double max = Double.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int i = 0; i < v; i++) {
                if (logits[at * v + i] > max) {
                    max = logits[at * v + i];
                    argmax = i;
                }
            }
            double z = 0;
            for (int i = 0; i < v; i++) {
                z += Math.exp(logits[at * v + i] - max);
            }
            sum += -(logits[at * v + (int) answer[j]] - max - Math.log(z));
            exact &= argmax == answer[j];
        }
        return new RowLoss(sum / answer.length, answer.length, exact);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "some", "all"})
    void lossIsTheMeanAnswerCrossEntropyComputedByHand(String plan) {
        try (LavinModel model = model(plan, ReparamMode.LOWRANK)) {
            for (ScoredRow row : rows) {
                RowLoss expected = byHand(model, row);
                RowLoss actual = AnswerLoss.score(model, List.of(row)).get(0);
                assertThat(actual.loss()).as("%s %s loss", plan, row).isCloseTo(expected.loss(), within(HAND_TOLERANCE));
                assertThat(actual.tokens()).isEqualTo(row.answerIds().length);
                assertThat(actual.exact()).isEqualTo(expected.exact());
                // random answers on a random model: far from free, and a real softmax (not a constant)
                assertThat(actual.loss()).isGreaterThan(0.5);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "some", "all"})
    void batchedEqualsRowByRow(String plan) {
        try (LavinModel model = model(plan, ReparamMode.LOWRANK)) {
            List<ScoredRow> batch = new ArrayList<>(rows);
            batch.add(rows.get(1)); // a duplicate must score the same
            List<RowLoss> batched = AnswerLoss.score(model, batch);
            List<RowLoss> inTwos = AnswerLoss.score(model, batch, 2);
            assertThat(batched).hasSize(batch.size());
            for (int r = 0; r < batch.size(); r++) {
                RowLoss alone = AnswerLoss.score(model, List.of(batch.get(r))).get(0);
                assertThat(batched.get(r).loss()).as("%s row %d in a batch of %d", plan, r, batch.size())
                        .isCloseTo(alone.loss(), within(BATCH_TOLERANCE));
                assertThat(inTwos.get(r).loss()).as("%s row %d in batches of 2", plan, r).isCloseTo(alone.loss(), within(BATCH_TOLERANCE));
                assertThat(batched.get(r).tokens()).isEqualTo(alone.tokens());
                assertThat(batched.get(r).exact()).isEqualTo(alone.exact());
            }
        }
    }

    @Test
    void theModelsOwnGreedyAnswerIsExact() {
        // With a pinned router (E = 0) and no skipped layer nothing pools over the answer, so teacher forcing is
        // causal and the greedy continuation is the argmax at every answer position.
        Fixture pinned = Fixture.load("pinned_tiny");
        try (LavinModel model = LavinModel.load(pinned.config(), pinned.weights(), LavinParityTest.plan(pinned, "none"),
                ReparamMode.LOWRANK, Device.cpu())) {
            GenerationConfig greedy = new GenerationConfig(5, 0, 1, 0, -1, false, false); // EOS id −1: never stops early
            List<Generation> gold = new BatchGenerator(model).generate(pinned.rows(), greedy);
            List<ScoredRow> scored = new ArrayList<>();
            for (int r = 0; r < gold.size(); r++) {
                scored.add(new ScoredRow(pinned.row(r), gold.get(r).tokens()));
            }
            List<RowLoss> losses = AnswerLoss.score(model, scored);
            for (int r = 0; r < scored.size(); r++) {
                assertThat(losses.get(r).exact()).as("row %d", r).isTrue();
                assertThat(losses.get(r).tokens()).isEqualTo(5);
                assertThat(losses.get(r).loss()).isCloseTo(byHand(model, scored.get(r)).loss(), within(HAND_TOLERANCE));
            }
        }
    }

    @Test
    void mergedScoresRowByRowAndAgreesWithLowRank() {
        List<RowLoss> lowrank;
        try (LavinModel model = model("some", ReparamMode.LOWRANK)) {
            lowrank = AnswerLoss.score(model, rows);
        }
        try (LavinModel model = model("some", ReparamMode.MERGED)) {
            List<RowLoss> merged = AnswerLoss.score(model, rows); // batch size 1 is forced for MERGED
            for (int r = 0; r < rows.size(); r++) {
                assertThat(merged.get(r).loss()).as("row %d", r).isCloseTo(lowrank.get(r).loss(), within(BATCH_TOLERANCE));
            }
        }
    }

    @Test
    void meanLossIsTheRowMeanAndRowsNeedAnAnswer() {
        assertThat(AnswerLoss.meanLoss(List.of(new RowLoss(1.0, 3, false), new RowLoss(2.5, 1, true)))).isEqualTo(1.75);
        assertThatThrownBy(() -> new ScoredRow(lavin.row(0), new long[0]))
                .hasMessageContaining("at least one answer token");
    }
}
