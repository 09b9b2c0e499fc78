package io.easspark.engine.search;

import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy growth of the skip plan (DESIGN.md §2): from no skipping, each step evaluates, in one evaluator call, the
 * current plan and the current plan plus each layer not yet in it, and adds the layer whose plan has the lowest
 * loss (ties by lower index). Unlike {@link LeaveOneOut} it sees how skipped layers interact; it costs k calls of
 * up to L + 1 plans. The current plan's own loss in each call gives the loss-versus-k curve.
 */
public final class GreedyGrowth {

    public static final String NAME = "greedy-growth";

    /**
     * @return the plan of k layers, its loss, the ranking as the order of addition (k layers), and one history
     *     round per step
     */
    public SearchResult run(PlanEvaluator eval, int layers, int k) {
        SearchResult.checkSize(layers, k);
        List<Integer> added = new ArrayList<>(k);
        List<SearchResult.Round> history = new ArrayList<>(k);
        double loss = Double.NaN;
        for (int step = 0; step < k; step++) {
            List<Integer> candidates = new ArrayList<>();
            List<SkipPlan> plans = new ArrayList<>();
            plans.add(plan(layers, added, -1));
            for (int i = 0; i < layers; i++) {
                if (!added.contains(i)) {
                    candidates.add(i);
                    plans.add(plan(layers, added, i));
                }
            }
            SearchResult.Round round = SearchResult.Round.evaluate(eval, plans);
            history.add(round);
            int best = 0; // candidates are in index order, so a strict < keeps the lower index on ties
            for (int c = 1; c < candidates.size(); c++) {
                if (round.loss(c + 1) < round.loss(best + 1)) {
                    best = c;
                }
            }
            added.add(candidates.get(best));
            loss = round.loss(best + 1);
        }
        return new SearchResult(NAME, plan(layers, added, -1), added, loss, history);
    }

    private static SkipPlan plan(int layers, List<Integer> skipped, int extra) {
        int[] ids = new int[skipped.size() + (extra >= 0 ? 1 : 0)];
        for (int j = 0; j < skipped.size(); j++) {
            ids[j] = skipped.get(j);
        }
        if (extra >= 0) {
            ids[ids.length - 1] = extra;
        }
        return SkipPlan.of(layers, ids);
    }
}
