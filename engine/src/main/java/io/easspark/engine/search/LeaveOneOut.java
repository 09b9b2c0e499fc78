package io.easspark.engine.search;

import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The deterministic leave-one-out ranking (DESIGN.md §2): the loss increase when layer i alone is skipped. One
 * evaluator call holds the no-skip plan and every single-layer plan; layers rank by loss increase, least harmful
 * first, ties by lower index. Skipping several layers is not additive, so a top-k plan from this ranking is a
 * heuristic: {@link GreedyGrowth} accounts for interactions.
 */
public final class LeaveOneOut {

    public static final String NAME = "leave-one-out";

    /** Ranks the layers; the plan is the least harmful layer alone, with its loss. */
    public SearchResult run(PlanEvaluator eval, int layers) {
        return run(eval, layers, 1);
    }

    /**
     * Ranks the layers and proposes the k least harmful; for k &gt; 1 a second call evaluates that plan. The history
     * holds the ranking call, then (k &gt; 1) the plan alone.
     */
    public SearchResult run(PlanEvaluator eval, int layers, int k) {
        SearchResult.checkSize(layers, k);
        List<SkipPlan> plans = new ArrayList<>(layers + 1);
        plans.add(SkipPlan.none(layers));
        for (int i = 0; i < layers; i++) {
            plans.add(SkipPlan.of(layers, i));
        }
        SearchResult.Round round = SearchResult.Round.evaluate(eval, plans);
        List<SearchResult.Round> history = new ArrayList<>(List.of(round));
        double base = round.loss(0);
        // the increase over the no-skip loss orders layers as the loss itself does; it is the quantity reported
        List<Integer> ranking = IntStream.range(0, layers).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> round.loss(i + 1) - base).thenComparingInt(i -> i))
                .toList();
        if (k == 1) {
            return new SearchResult(NAME, plans.get(ranking.get(0) + 1), ranking, round.loss(ranking.get(0) + 1), history);
        }
        SkipPlan plan = SkipPlan.of(layers, ranking.subList(0, k).stream().mapToInt(Integer::intValue).toArray());
        SearchResult.Round last = SearchResult.Round.evaluate(eval, List.of(plan));
        history.add(last);
        return new SearchResult(NAME, plan, ranking, last.loss(0), history);
    }
}
