package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.search.PlanEvaluator;
import io.easspark.engine.search.SearchResult;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** METER's gate search: the update rule against hand-computed steps, sampling, determinism and that it finds cheap MHAs. */
class MeterGateSearchTest {

    static final double TOLERANCE = 1e-12;

    @Test
    void updateMovesEachSampledGateByTheAdvantageTimesTheSigmoidSlope() {
        MeterGateSearch s = new MeterGateSearch(6, 2, 3, 1);
        // round 1 from g = 0 (P = 0.5, P(1 − P) = 0.25): r = e^-0.5, e^-1, e^-2 = 0.6065306597, 0.3678794412,
        // 0.1353352832; r̄ = 0.3699151280; advantages 0.2366155317, −0.0020356868, −0.2345798448
        s.update(List.of(plan(0, 1), plan(1, 2), plan(2, 3)), new double[] {0.5, 1.0, 2.0});
        assertThat(s.gates()).containsExactly(new double[] {
            0.25 * 0.2366155317, // 0: plan 1 only
            0.25 * (0.2366155317 - 0.0020356868), // 1: plans 1 and 2
            0.25 * (-0.0020356868 - 0.2345798448), // 2: plans 2 and 3
            0.25 * -0.2345798448, // 3: plan 3 only
            0, 0}, within(1e-10));
        // round 2 starts from those gates, so each step has its own P(1 − P) (computed offline in double)
        s.update(List.of(plan(0, 4), plan(1, 3), plan(2, 5)), new double[] {1.5, 0.25, 0.75});
        assertThat(s.gates()).containsExactly(new double[] {
            -0.007863058494, 0.130425297317, -0.063916202126, 0.013135374915, -0.067075584626, -0.004766486478}, within(1e-11));
    }

    @Test
    void equalLossesLeaveTheGatesAlone() {
        MeterGateSearch s = new MeterGateSearch(24, 10, 3, 7);
        s.update(s.propose(), new double[] {0.7, 0.7, 0.7});
        // the mean of three equal rewards may differ from each in the last bit
        assertThat(s.gates()).containsExactly(new double[24], within(TOLERANCE));
    }

    @Test
    void probabilitiesAreIndependentSigmoidsNotASoftmax() {
        MeterGateSearch s = new MeterGateSearch(4, 1, 2, 1);
        s.update(List.of(plan4(0), plan4(1)), new double[] {0.0, 1.0});
        double[] p = s.probabilities();
        double[] g = s.gates();
        for (int i = 0; i < 4; i++) {
            assertThat(p[i]).isCloseTo(1 / (1 + Math.exp(-g[i])), within(TOLERANCE));
        }
        assertThat(p[2]).isEqualTo(0.5); // untouched gates keep P = 0.5: a rising gate does not lower the others
        assertThat(p[0] + p[1] + p[2] + p[3]).isNotCloseTo(1.0, within(0.1));
    }

    @Test
    void aRoundHoldsDistinctPlansOfKCandidates() {
        MeterGateSearch s = new MeterGateSearch(24, 10, 3, 3);
        for (int round = 0; round < 20; round++) {
            List<SkipPlan> plans = s.propose();
            assertThat(plans).hasSize(3).doesNotHaveDuplicates();
            assertThat(plans).allSatisfy(p -> {
                assertThat(p.layerCount()).isEqualTo(24);
                assertThat(p.skippedCount()).isEqualTo(10);
            });
        }
        // 2 of 3 candidates has exactly 3 distinct plans: a round must find all of them
        MeterGateSearch small = new MeterGateSearch(3, 2, 3, 5);
        assertThat(new HashSet<>(small.propose())).containsExactlyInAnyOrder(plan3(0, 1), plan3(0, 2), plan3(1, 2));
    }

    @Test
    void theSameSeedSamplesTheSamePlansAndAnotherSeedOthers() {
        assertThat(rounds(42)).isEqualTo(rounds(42));
        assertThat(rounds(42)).isNotEqualTo(rounds(43));
    }

    @Test
    void theBestPlanIsTheTopKGatesTiesToTheHigherIndexAsTheOriginalsSort() {
        MeterGateSearch s = new MeterGateSearch(6, 2, 2, 1);
        assertThat(s.best()).isEqualTo(plan(4, 5)); // all gates 0: torch.sort(nas_gate)[1][-2:] = [4, 5]
        s.update(List.of(plan(0, 1), plan(2, 3)), new double[] {0.1, 2.0});
        assertThat(s.ranking().subList(0, 2)).containsExactly(1, 0); // g0 = g1 > 0: the higher index first
        assertThat(s.best()).isEqualTo(plan(0, 1));
        assertThat(s.ranking()).containsExactly(1, 0, 5, 4, 3, 2);
    }

    @Test
    void theSearchFindsTheCandidatesWhoseSkippingCostsNothing() {
        // a planted validation loss: skipping 3, 9, 17 or 21 is free, every other candidate costs 0.4 nats
        List<Integer> free = List.of(3, 9, 17, 21);
        PlanEvaluator eval = plans -> plans.stream().mapToDouble(p -> {
            double loss = 0.2;
            for (int i : p.skippedLayers()) {
                loss += free.contains(i) ? 0 : 0.4;
            }
            return loss;
        }).toArray();
        SearchResult r = new MeterGateSearch(24, 4, 3, 11).run(eval, 400);
        assertThat(r.strategy()).isEqualTo(MeterGateSearch.NAME);
        assertThat(r.plan().skippedLayers()).containsExactlyInAnyOrder(3, 9, 17, 21);
        assertThat(r.loss()).isCloseTo(0.2, within(TOLERANCE));
        assertThat(r.history()).hasSize(401);
        assertThat(r.ranking().subList(0, 4)).containsExactlyInAnyOrderElementsOf(free);
    }

    @Test
    void badSizesAreNamed() {
        assertThatThrownBy(() -> new MeterGateSearch(24, 0, 3, 1)).hasMessageContaining("k (MHAs to skip) must be in 1..24: 0");
        assertThatThrownBy(() -> new MeterGateSearch(24, 25, 3, 1)).hasMessageContaining("must be in 1..24: 25");
        assertThatThrownBy(() -> new MeterGateSearch(24, 4, 1, 1)).hasMessageContaining("plans per round must be >= 2");
        assertThatThrownBy(() -> new MeterGateSearch(24, 24, 3, 1)).hasMessageContaining("exceeds the 1 distinct plans of 24 out of 24");
        MeterGateSearch s = new MeterGateSearch(6, 2, 3, 1);
        assertThatThrownBy(() -> s.update(List.of(plan(0, 1)), new double[] {1, 2})).hasMessageContaining("one loss per plan");
        assertThat(MeterGateSearch.subsets(24, 10)).isEqualTo(1961256.0);
    }

    private static List<List<SkipPlan>> rounds(long seed) {
        MeterGateSearch s = new MeterGateSearch(24, 10, 3, seed);
        List<SkipPlan> first = s.propose();
        s.update(first, new double[] {0.3, 0.9, 0.6});
        return List.of(first, s.propose());
    }

    private static SkipPlan plan(int... candidates) {
        return SkipPlan.of(6, candidates);
    }

    private static SkipPlan plan4(int... candidates) {
        return SkipPlan.of(4, candidates);
    }

    private static SkipPlan plan3(int... candidates) {
        return SkipPlan.of(3, candidates);
    }
}
