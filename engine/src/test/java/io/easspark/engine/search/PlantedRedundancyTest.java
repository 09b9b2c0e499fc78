package io.easspark.engine.search;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.Generation;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.model.RandomWeights;
import io.easspark.engine.model.WeightSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The acceptance test of the redundancy search: a random 6-layer model in which layers 1 and 4 are redundant by
 * construction, so skipping them costs exactly nothing, while skipping any other layer costs a lot. Every strategy
 * must find them.
 *
 * <p>How a layer is made redundant (DESIGN.md §1.3): with {@code wo = 0} the kept layer is {@code out = x +
 * FFN(RMSNorm_ffn(x))}; with both adapters' up-projections B, D and their biases zero, {@code U_w = 0} and the
 * skipped layer's {@code p = a = RMSNorm_attn(x)}, so it is {@code x + FFN(g_ffn ⊙ RMSNorm_attn(x))}. With the norm
 * gains 1 (as {@link RandomWeights} makes them) both are the same ops on the same values: bit-identical. Other
 * layers' {@code wo} is scaled up so their attention matters, and the output head so the model is confident.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlantedRedundancyTest {

    static final int LAYERS = 6;
    static final Set<Integer> REDUNDANT = Set.of(1, 4);
    static final SkipPlan PLANTED = SkipPlan.of(LAYERS, 1, 4);
    static final float ATTENTION_GAIN = 3f;
    static final float HEAD_GAIN = 4f;
    static final int ROWS = 12;
    static final int ANSWER_TOKENS = 4;
    static final long SEED = 2024;

    LavinModel model;
    List<ScoredRow> rows;
    PlanEvaluator eval;

    static LavinConfig config() {
        LlamaConfig text = new LlamaConfig(64, LAYERS, 4, 128, 128, 1e-6, 10000, 64);
        return new LavinConfig(text, AdapterConfig.lavinEas(), null, 0, "", "lowrank");
    }

    /** {@link RandomWeights} with the planted layers made redundant and the others' attention scaled up. */
    static WeightSource planted(LavinConfig config) {
        RandomWeights random = new RandomWeights(config, SEED);
        return new WeightSource() {
            @Override
            public long[] shape(String name) {
                return random.shape(name);
            }

            @Override
            public NDArray load(String name, NDManager manager) {
                float[] v = random.values(name);
                float gain = gain(name);
                for (int i = 0; i < v.length; i++) {
                    v[i] *= gain;
                }
                return manager.create(v, new Shape(random.shape(name)));
            }

            @Override
            public String describe() {
                return "planted random weights";
            }
        };
    }

    static float gain(String name) {
        if (name.equals("output.weight")) {
            return HEAD_GAIN;
        }
        if (!name.startsWith("layers.")) {
            return 1f;
        }
        int layer = Integer.parseInt(name.split("\\.")[1]);
        boolean redundant = REDUNDANT.contains(layer);
        if (name.endsWith("attention.wo.weight")) {
            return redundant ? 0f : ATTENTION_GAIN;
        }
        boolean upProjection = name.contains(".conv_B.") || name.contains(".conv_D.");
        return redundant && upProjection ? 0f : 1f;
    }

    @BeforeAll
    void build() {
        LavinConfig config = config();
        model = LavinModel.load(config, planted(config), SkipPlan.none(LAYERS), ReparamMode.LOWRANK, Device.cpu());
        SplittableRandom random = new SplittableRandom(SEED);
        List<PromptSequence> prompts = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            long[] ids = random.longs(4 + random.nextInt(8), 3, config.text().vocabSize()).toArray();
            prompts.add(new PromptSequence(new long[] {1, 5, 6}, null, ids, r));
        }
        // gold answers: the full model's own greedy continuation (EOS never stops it: id −1)
        GenerationConfig greedy = new GenerationConfig(ANSWER_TOKENS, 0, 1, 0, -1, false, false);
        List<Generation> gold = new BatchGenerator(model).generate(prompts, greedy);
        rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            rows.add(new ScoredRow(prompts.get(r), gold.get(r).tokens()));
        }
        eval = new AnswerLossEvaluator(model, rows, ROWS);
    }

    @AfterAll
    void close() {
        model.close();
    }

    @Test
    void skippingThePlantedLayersCostsNothingAndAnyOtherLayerCostsALot() {
        List<SkipPlan> plans = new ArrayList<>(List.of(SkipPlan.none(LAYERS), PLANTED, SkipPlan.of(LAYERS, 1), SkipPlan.of(LAYERS, 4)));
        for (int i = 0; i < LAYERS; i++) {
            if (!REDUNDANT.contains(i)) {
                plans.add(SkipPlan.of(LAYERS, i));
            }
        }
        double[] losses = eval.losses(plans);
        // the kept and skipped paths of a planted layer are the same ops on the same values
        assertThat(losses[1]).isEqualTo(losses[0]);
        assertThat(losses[2]).isEqualTo(losses[0]);
        assertThat(losses[3]).isEqualTo(losses[0]);
        for (int j = 4; j < losses.length; j++) {
            assertThat(losses[j] - losses[0]).as("loss increase of %s", plans.get(j)).isGreaterThan(0.5);
        }
        // the full model's greedy answers are (nearly all) its teacher-forced argmax too
        long exact = AnswerLoss.score(model, rows).stream().filter(RowLoss::exact).count();
        assertThat(exact).isGreaterThanOrEqualTo(ROWS / 2);
    }

    @Test
    void leaveOneOutRanksThePlantedLayersFirst() {
        SearchResult r = new LeaveOneOut().run(eval, LAYERS, 2);
        assertThat(r.ranking().subList(0, 2)).containsExactly(1, 4);
        assertThat(r.plan()).isEqualTo(PLANTED);
    }

    @Test
    void greedyGrowthPicksThePlantedLayers() {
        SearchResult r = new GreedyGrowth().run(eval, LAYERS, 2);
        assertThat(r.ranking()).containsExactly(1, 4);
        assertThat(r.plan()).isEqualTo(PLANTED);
    }

    @Test
    void policyGradientConvergesToThePlantedLayers() {
        PolicyGradientSearch search = new PolicyGradientSearch(LAYERS, 2, PolicyGradientSearch.DEFAULT_PLANS_PER_ROUND,
                PolicyGradientSearch.SCIENCEQA_LR, 7);
        // tuned: seeds 1-12 all end with best() = {1, 4} after 20 rounds and P1 + P4 > 0.98 after 40
        SearchResult r = search.run(eval, 40);
        assertThat(search.best()).isEqualTo(PLANTED);
        assertThat(r.plan()).isEqualTo(PLANTED);
        assertThat(r.ranking().subList(0, 2)).containsExactlyInAnyOrder(1, 4);
        double[] p = search.probabilities();
        assertThat(p[1] + p[4]).as("P of the planted layers after 40 rounds").isGreaterThan(0.9);
    }
}
