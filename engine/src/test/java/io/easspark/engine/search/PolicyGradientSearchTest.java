package io.easspark.engine.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyGradientSearchTest {

    static final double EXACT = 1e-12;

    @Test
    void oneRoundMatchesTheUpdateWorkedByHand() {
        PolicyGradientSearch search = new PolicyGradientSearch(4, 2, 3, 2.0, 1);
        // σ = 0, so P = softmax(10·0) = 1/4 for every layer and P_i·(1 − P_i) = 0.25 · 0.75 = 0.1875.
        // plans {0,1}, {0,2}, {1,3} with rewards r = exp(−loss) = 0.8, 0.2, 0.5: r̄ = 1.5 / 3 = 0.5,
        // advantages r − r̄ = +0.3, −0.3, 0; a step is lr·adv·0.1875 = 2·0.3·0.1875 = ±0.1125.
        //   σ0 = +0.1125 ({0,1}) − 0.1125 ({0,2}) = 0     (both steps use P from before the round)
        //   σ1 = +0.1125 ({0,1}) + 0 ({1,3})      = 0.1125
        //   σ2 = −0.1125 ({0,2})                  = −0.1125
        //   σ3 = 0 ({1,3})                        = 0
        // P = softmax(10·σ) = softmax(0, 1.125, −1.125, 0) = (1, e^1.125, e^−1.125, 1) / (2 + e^1.125 + e^−1.125)
        //   e^1.125 = 3.080217, e^−1.125 = 0.324652, sum 5.404869: P = (0.185018, 0.569897, 0.060067, 0.185018)
        List<SkipPlan> plans = List.of(SkipPlan.of(4, 0, 1), SkipPlan.of(4, 0, 2), SkipPlan.of(4, 1, 3));
        search.update(plans, new double[] {-Math.log(0.8), -Math.log(0.2), -Math.log(0.5)});
        assertThat(search.sigma()).containsExactly(new double[] {0, 0.1125, -0.1125, 0}, within(EXACT));
        double z = 2 + Math.exp(1.125) + Math.exp(-1.125);
        assertThat(search.probabilities()).containsExactly(
                new double[] {1 / z, Math.exp(1.125) / z, Math.exp(-1.125) / z, 1 / z}, within(EXACT));
        assertThat(search.probabilities()).containsExactly(new double[] {0.185018, 0.569897, 0.060067, 0.185018}, within(1e-6));
        // best: the two highest P, the tie between layers 0 and 3 going to the lower index
        assertThat(search.ranking()).containsExactly(1, 0, 3, 2);
        assertThat(search.best()).isEqualTo(SkipPlan.of(4, 0, 1));
    }

    @Test
    void aRoundWithEqualLossesChangesNothing() {
        PolicyGradientSearch search = new PolicyGradientSearch(5, 2, 3, 2.0, 3);
        search.update(search.propose(), new double[] {0.7, 0.7, 0.7});
        // r − r̄ is 0 up to the rounding of the mean of three equal doubles
        assertThat(search.sigma()).containsExactly(new double[5], within(1e-15));
    }

    /** A made-up loss: each skipped layer costs its own amount; layers 2 and 5 are free. */
    static final double[] COST = {0.9, 0.6, 0.0, 0.8, 0.5, 0.0, 0.7, 0.4};

    static PlanEvaluator additive(List<List<SkipPlan>> calls) {
        return plans -> {
            calls.add(plans);
            double[] out = new double[plans.size()];
            for (int j = 0; j < out.length; j++) {
                for (int i : plans.get(j).skippedLayers()) {
                    out[j] += COST[i];
                }
            }
            return out;
        };
    }

    @Test
    void sameSeedSameSearch() {
        List<List<SkipPlan>> callsA = new ArrayList<>();
        List<List<SkipPlan>> callsB = new ArrayList<>();
        PolicyGradientSearch a = new PolicyGradientSearch(8, 3, 3, 2.0, 42);
        PolicyGradientSearch b = new PolicyGradientSearch(8, 3, 3, 2.0, 42);
        SearchResult ra = a.run(additive(callsA), 20);
        SearchResult rb = b.run(additive(callsB), 20);
        assertThat(callsA).isEqualTo(callsB);
        assertThat(a.sigma()).containsExactly(b.sigma());
        assertThat(ra.plan()).isEqualTo(rb.plan());
        assertThat(ra.ranking()).isEqualTo(rb.ranking());
        // 20 rounds of 3 plans, then the final plan alone
        assertThat(ra.history()).hasSize(21);
        assertThat(callsA.get(0)).hasSize(3).allSatisfy(p -> assertThat(p.skippedCount()).isEqualTo(3));
        assertThat(ra.history().get(20).plans()).containsExactly(ra.plan());
        assertThat(ra.strategy()).isEqualTo("policy-gradient");
        // another seed samples other plans
        List<List<SkipPlan>> callsC = new ArrayList<>();
        new PolicyGradientSearch(8, 3, 3, 2.0, 43).run(additive(callsC), 20);
        assertThat(callsC).isNotEqualTo(callsA);
    }

    @Test
    void findsTheFreeLayersOfAnAdditiveLoss() {
        PolicyGradientSearch search = new PolicyGradientSearch(8, 2, 3, 2.0, 7);
        SearchResult result = search.run(additive(new ArrayList<>()), 60);
        assertThat(result.plan()).isEqualTo(SkipPlan.of(8, 2, 5));
        assertThat(result.loss()).isEqualTo(0.0);
        assertThat(result.ranking().subList(0, 2)).containsExactlyInAnyOrder(2, 5);
    }

    @Test
    void samplingFollowsP() {
        // after pushing layer 0's score up, it is in nearly every sampled plan; plans never repeat a layer
        PolicyGradientSearch search = new PolicyGradientSearch(6, 2, 200, 2.0, 5);
        for (int round = 0; round < 20; round++) {
            List<SkipPlan> plans = search.propose();
            double[] losses = new double[plans.size()];
            for (int j = 0; j < losses.length; j++) {
                losses[j] = plans.get(j).isSkipped(0) ? 0 : 3;
            }
            search.update(plans, losses);
        }
        double p0 = search.probabilities()[0];
        assertThat(p0).isGreaterThan(0.9);
        long withZero = search.propose().stream().filter(p -> p.isSkipped(0)).count();
        assertThat(withZero).isGreaterThan(180); // P(0 sampled in a plan of 2) ≥ p0 > 0.9 of 200
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> new PolicyGradientSearch(4, 5, 3, 2.0, 1)).hasMessageContaining("k (layers to skip) must be in 1..4: 5");
        assertThatThrownBy(() -> new PolicyGradientSearch(4, 2, 0, 2.0, 1)).hasMessageContaining("plans per round must be > 0: 0");
        assertThatThrownBy(() -> new PolicyGradientSearch(4, 2, 3, 0, 1)).hasMessageContaining("learning rate must be a positive number: 0.0");
        PolicyGradientSearch search = new PolicyGradientSearch(4, 2, 3, 2.0, 1);
        assertThatThrownBy(() -> search.update(List.of(SkipPlan.of(4, 0, 1)), new double[] {1, 2}))
                .hasMessageContaining("one loss per plan");
        assertThatThrownBy(() -> search.run(plans -> new double[] {1}, 1))
                .hasMessageContaining("plan evaluator returned 1 losses for 3 plans");
        assertThatThrownBy(() -> search.run(plans -> new double[] {1, Double.NaN, 1}, 1))
                .hasMessageContaining("plan evaluator returned loss NaN for plan");
    }
}
