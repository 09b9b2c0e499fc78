package io.easspark.engine.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.search.AnswerLoss;
import io.easspark.engine.search.ScoredRow;
import io.easspark.engine.testing.Fixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The recipe's stages on the tiny reference model (4 layers): the training loss is the search's answer loss, stage 2
 * touches only the adapters and its search runs rounds, and training lowers the loss.
 */
class EasTunerTest {

    /** The same fp32 ops; the scorer sums in double, the training loss in fp32. */
    static final double LOSS_TOLERANCE = 1e-5;

    @Test
    void trainingLossIsTheSearchsAnswerLoss() {
        Fixture lavin = Fixture.load("lavin_tiny");
        List<TuningExample> rows = rows(lavin, 5);
        List<ScoredRow> scored = rows.stream().map(TuningExample::row).toList();
        try (LavinModel m = LavinModel.load(lavin.config(), lavin.weights(), SkipPlan.parse("1,3", 4), ReparamMode.LOWRANK, Device.cpu());
             NDManager scope = m.newScope()) {
            double training = AnswerLoss.trainingLoss(new BatchGenerator(m), scored, scope).getFloat();
            double search = AnswerLoss.meanLoss(AnswerLoss.score(m, scored, 1)); // row by row
            assertThat(training).isCloseTo(search, within(LOSS_TOLERANCE * Math.max(1, search)));
        }
    }

    @Test
    void adapterStagesSearchFineTuneAndLeaveTheBaseBitIdentical() {
        Fixture lavin = Fixture.load("lavin_tiny");
        LavinConfig config = lavin.config();
        List<TuningExample> train = rows(lavin, 6);
        Map<String, float[]> values = new TreeMap<>();
        try (NDManager base = NDManager.newBaseManager(Device.cpu())) {
            for (String name : NativeLayout.tensors(config).keySet()) {
                values.put(name, lavin.weights().load(name, base).toFloatArray());
            }
        }
        // fresh PIA adapters on the fixture's base, as stage 2 inserts them
        Map<String, float[]> start = new TreeMap<>(values);
        for (String name : NativeLayout.tensors(config).keySet()) {
            if (TrainingInit.isAdapter(name)) {
                start.put(name, TrainingInit.values(config, name, 5));
            }
        }
        List<EasTuner.CurvePoint> seen = new ArrayList<>();
        EasTuner tuner = new EasTuner(config, new EasTuner.Settings(3, 6, 4, 11), (p, steps, norm, eta) -> seen.add(p));
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             TrainableWeights w = TrainableWeights.of(config, start, TrainingInit::isAdapter, root)) {
            double before = tuner.evaluate(w, SkipPlan.parse("1,3", 4), train).loss();
            EasTuner.SearchOutcome s = tuner.trainAdaptersWithSearch(w, train, train, new LearningRate(5e-3, 2, 12, 0.5), 2, 3, 2.0);
            assertThat(s.rounds()).isEqualTo(3); // rounds at steps 3, 6 and 9 of 12
            assertThat(s.plan().skippedCount()).isEqualTo(2);
            assertThat(s.probabilities()).hasSize(4);
            tuner.fineTune(w, train, train, new LearningRate(5e-3, 2, 12, 0.5), s.plan());
            double after = tuner.evaluate(w, s.plan(), train).loss();
            assertThat(after).as("loss with the chosen plan after stage 2 vs the fresh adapters with that plan").isLessThan(before);
            Map<String, float[]> trained = w.values();
            for (String name : values.keySet()) {
                if (!TrainingInit.isAdapter(name)) {
                    assertThat(trained.get(name)).as(name).isEqualTo(values.get(name));
                }
            }
            assertThat(trained.get("layers.1.replaced_adapter.conv_B.weight")).as("a skipped layer's adapter trained")
                    .isNotEqualTo(start.get("layers.1.replaced_adapter.conv_B.weight"));
        }
        assertThat(seen).hasSize(24);
        assertThat(seen.get(3).evaluation()).as("an evaluation every 4 steps").isNotNull();
        assertThat(tuner.curve()).hasSize(24);
    }

    /** The fixture's rows, each followed by a seeded 3-token answer. */
    static List<TuningExample> rows(Fixture lavin, int answers) {
        int vocab = lavin.config().text().vocabSize();
        SplittableRandom random = new SplittableRandom(answers);
        List<TuningExample> out = new ArrayList<>();
        for (int r = 0; r < lavin.rowCount(); r++) {
            PromptSequence p = lavin.row(r);
            long[] answer = {random.nextLong(3, vocab), random.nextLong(3, vocab), 2};
            out.add(new TuningExample(new ScoredRow(p, answer), r % 2 == 0 ? "IMG" : "NO", "A", 2));
        }
        return out;
    }
}
