package io.easspark.engine.search;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Leave-one-out and greedy growth on a made-up loss where skipped layers interact. */
class DeterministicSearchTest {

    /**
     * Base loss 1; each skipped layer adds its cost; skipping 1 and 3 together costs 2 more (they are only redundant
     * one at a time), so leave-one-out and greedy growth disagree.
     */
    static final double[] COST = {0.5, 0.1, 0.3, 0.05, 0.1, 0.9};

    static double loss(SkipPlan p) {
        double loss = 1;
        for (int i : p.skippedLayers()) {
            loss += COST[i];
        }
        return loss + (p.isSkipped(1) && p.isSkipped(3) ? 2 : 0);
    }

    static PlanEvaluator counting(List<List<SkipPlan>> calls) {
        return plans -> {
            calls.add(plans);
            return plans.stream().mapToDouble(DeterministicSearchTest::loss).toArray();
        };
    }

    @Test
    void leaveOneOutRanksByLossIncreaseInOneCall() {
        List<List<SkipPlan>> calls = new ArrayList<>();
        SearchResult r = new LeaveOneOut().run(counting(calls), 6);
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0)).hasSize(7).first().isEqualTo(SkipPlan.none(6));
        // increases 0.5, 0.1, 0.3, 0.05, 0.1, 0.9: layer 3, then 1 and 4 tied (lower index first), 2, 0, 5
        assertThat(r.ranking()).containsExactly(3, 1, 4, 2, 0, 5);
        assertThat(r.plan()).isEqualTo(SkipPlan.of(6, 3));
        assertThat(r.loss()).isCloseTo(1.05, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(r.strategy()).isEqualTo("leave-one-out");

        calls.clear();
        SearchResult top2 = new LeaveOneOut().run(counting(calls), 6, 2);
        assertThat(calls).hasSize(2);
        assertThat(top2.plan()).isEqualTo(SkipPlan.of(6, 1, 3)); // blind to the interaction
        assertThat(top2.loss()).isCloseTo(3.15, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(top2.history()).hasSize(2);
    }

    @Test
    void greedyGrowthAddsTheCheapestLayerGivenTheCurrentPlan() {
        List<List<SkipPlan>> calls = new ArrayList<>();
        SearchResult r = new GreedyGrowth().run(counting(calls), 6, 3);
        // step 1: layer 3 (1.05); step 2: {3,1} costs 3.15, so layer 4 (1.15); step 3: {3,4,2} 1.45 vs {3,4,1} 3.25
        assertThat(r.ranking()).containsExactly(3, 4, 2);
        assertThat(r.plan()).isEqualTo(SkipPlan.of(6, 2, 3, 4));
        assertThat(r.loss()).isCloseTo(1.45, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(calls).hasSize(3);
        assertThat(calls.get(0)).hasSize(7).first().isEqualTo(SkipPlan.none(6));
        assertThat(calls.get(1)).hasSize(6).first().isEqualTo(SkipPlan.of(6, 3));
        assertThat(calls.get(2)).hasSize(5).first().isEqualTo(SkipPlan.of(6, 3, 4));
        assertThat(r.history()).hasSize(3);
        assertThat(r.strategy()).isEqualTo("greedy-growth");
    }

    @Test
    void greedyGrowthBreaksTiesByLowerIndex() {
        SearchResult r = new GreedyGrowth().run(plans -> new double[plans.size()], 4, 2);
        assertThat(r.ranking()).containsExactly(0, 1);
    }
}
