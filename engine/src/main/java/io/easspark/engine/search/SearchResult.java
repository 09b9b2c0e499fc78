package io.easspark.engine.search;

import io.easspark.engine.eas.SkipPlan;
import java.util.List;

/**
 * What a search found.
 *
 * @param strategy {@code policy-gradient}, {@code leave-one-out} or {@code greedy-growth}
 * @param plan the chosen plan
 * @param ranking layers, most skippable first (see each strategy for how many)
 * @param loss the evaluator's loss of {@code plan}
 * @param history every evaluator call in order
 */
public record SearchResult(String strategy, SkipPlan plan, List<Integer> ranking, double loss, List<Round> history) {

    public SearchResult {
        ranking = List.copyOf(ranking);
        history = List.copyOf(history);
    }

    /** Checks a search's layer count and plan size k, naming both in the message. */
    static void checkSize(int layers, int k) {
        if (layers <= 0) {
            throw new IllegalArgumentException("layers must be > 0: " + layers);
        }
        if (k < 1 || k > layers) {
            throw new IllegalArgumentException("k (layers to skip) must be in 1.." + layers + ": " + k);
        }
    }

    /**
     * One evaluator call: the plans asked for and their losses.
     *
     * @param plans the plans, in evaluation order
     * @param losses one per plan
     */
    public record Round(List<SkipPlan> plans, double[] losses) {

        public Round {
            plans = List.copyOf(plans);
            losses = losses.clone();
            if (losses.length != plans.size()) {
                throw new IllegalArgumentException("plan evaluator returned " + losses.length + " losses for " + plans.size() + " plans");
            }
            for (int i = 0; i < losses.length; i++) {
                if (!Double.isFinite(losses[i])) {
                    throw new IllegalArgumentException("plan evaluator returned loss " + losses[i] + " for plan " + plans.get(i));
                }
            }
        }

        /** Asks the evaluator once and checks its answer: one finite loss per plan. */
        public static Round evaluate(PlanEvaluator eval, List<SkipPlan> plans) {
            return new Round(plans, eval.losses(List.copyOf(plans)));
        }

        @Override
        public double[] losses() {
            return losses.clone();
        }

        public double loss(int i) {
            return losses[i];
        }
    }
}
