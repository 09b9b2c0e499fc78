package io.easspark.engine.meter;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.search.DrawWithoutReplacement;
import io.easspark.engine.search.PlanEvaluator;
import io.easspark.engine.search.SearchResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * METER-EAS's redundancy search, as its search module runs it ({@code meter_module_adapter_nas.py}, {@code forward}
 * during the search epochs): one gate {@code g_i} per candidate MHA (4F = 24, the indices of DESIGN-METER.md §3.4),
 * all 0 at the start; {@code P_i = sigmoid(g_i)}. A round samples n distinct plans of k candidates, each drawn
 * without replacement with probability proportional to P ({@code torch.multinomial(P, k)}), scores each with the
 * task loss on validation data, rewards it with {@code r = exp(−loss)} and moves the gate of every candidate i in
 * plan j by {@code (r_j − r̄)·P_i·(1 − P_i)}, r̄ the round's mean reward. There is no step size: the original defines
 * {@code lr = 1.0} but never uses it (DESIGN-METER.md §8.6). The plan is the k candidates with the highest gates.
 *
 * <p>Unlike LaVIN's search (DESIGN.md §2: {@code softmax(10·σ)}), the probabilities are independent sigmoids, so a
 * gate that rises does not push the others down. Plans travel as {@link SkipPlan}s over the 4F candidate indices;
 * {@link MeterSkipSet#of} turns one into the modules it skips under either index mapping.
 *
 * <p>Reproducible procedure, given the seed:
 * <ul>
 *   <li>One {@link SplittableRandom} seeded at construction; only sampling draws from it, through
 *       {@link DrawWithoutReplacement} (k draws per plan, plans in order).</li>
 *   <li>The original redraws a plan equal (as a set) to one already drawn in the round; so does this search, for at
 *       most {@link #MAX_DRAWS_PER_PLAN} draws per plan. n must not exceed the number of k-subsets.</li>
 *   <li>An update uses P from before the round for all n plans, as the original computes {@code prob} once per
 *       round; a candidate in two plans gets both steps.</li>
 *   <li>The plan and the ranking order the gates as the original's {@code torch.sort(nas_gate)[1][-k:]}: ascending
 *       and stable, the last k; so among equal gates the higher index ranks first.</li>
 * </ul>
 * Not thread-safe: one search runs in one driver thread.
 */
public final class MeterGateSearch {

    public static final String NAME = "meter-gates";
    /** Plans sampled per round ({@code nas_step = 3} in the original). */
    public static final int DEFAULT_PLANS_PER_ROUND = 3;
    /** Redraws allowed for one plan before the round gives up on finding a new one. */
    static final int MAX_DRAWS_PER_PLAN = 10_000;

    private final int candidates;
    private final int k;
    private final int plansPerRound;
    private final SplittableRandom random;
    private final double[] gates;

    /**
     * @param candidates candidate MHAs, 4 per fusion layer
     * @param k candidates each plan skips ({@code skip_num})
     * @param plansPerRound distinct plans sampled per round, n ({@code nas_step})
     * @param seed seeds the sampler
     */
    public MeterGateSearch(int candidates, int k, int plansPerRound, long seed) {
        if (candidates <= 0) {
            throw new IllegalArgumentException("candidates must be > 0: " + candidates);
        }
        if (k < 1 || k > candidates) {
            throw new IllegalArgumentException("k (MHAs to skip) must be in 1.." + candidates + ": " + k);
        }
        if (plansPerRound < 2) {
            throw new IllegalArgumentException("plans per round must be >= 2 (the baseline is their mean reward): " + plansPerRound);
        }
        if (plansPerRound > subsets(candidates, k)) {
            throw new IllegalArgumentException("plans per round " + plansPerRound + " exceeds the " + (long) subsets(candidates, k)
                    + " distinct plans of " + k + " out of " + candidates + " candidates");
        }
        this.candidates = candidates;
        this.k = k;
        this.plansPerRound = plansPerRound;
        this.random = new SplittableRandom(seed);
        this.gates = new double[candidates];
    }

    /** The gates g (a copy). */
    public double[] gates() {
        return gates.clone();
    }

    /** {@code P_i = sigmoid(g_i)}. */
    public double[] probabilities() {
        double[] p = new double[candidates];
        for (int i = 0; i < candidates; i++) {
            p[i] = 1 / (1 + Math.exp(-gates[i]));
        }
        return p;
    }

    /** All candidates by gate, highest first; among equal gates the higher index first (see the class comment). */
    public List<Integer> ranking() {
        return IntStream.range(0, candidates).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -gates[i]).thenComparing(Comparator.reverseOrder()))
                .toList();
    }

    /** The k candidates with the highest gates: the plan the search settles on. */
    public SkipPlan best() {
        return SkipPlan.of(candidates, ranking().subList(0, k).stream().mapToInt(Integer::intValue).toArray());
    }

    /** Samples this round's n distinct plans from the current P. */
    public List<SkipPlan> propose() {
        double[] p = probabilities();
        List<SkipPlan> plans = new ArrayList<>(plansPerRound);
        for (int j = 0; j < plansPerRound; j++) {
            SkipPlan plan = SkipPlan.of(candidates, DrawWithoutReplacement.draw(p, k, random));
            for (int draws = 1; plans.contains(plan); draws++) {
                if (draws >= MAX_DRAWS_PER_PLAN) {
                    throw new IllegalStateException("no new plan of " + k + " candidates after " + draws
                            + " draws: the gates are too concentrated for " + plansPerRound + " distinct plans per round");
                }
                plan = SkipPlan.of(candidates, DrawWithoutReplacement.draw(p, k, random));
            }
            plans.add(plan);
        }
        return plans;
    }

    /**
     * One round's update from the plans' losses: {@code g_i += (r_j − r̄)·P_i·(1 − P_i)} for each candidate i of each
     * plan j, {@code r_j = exp(−loss_j)}, r̄ their mean, P from before the update.
     */
    public void update(List<SkipPlan> plans, double[] losses) {
        if (plans.isEmpty() || losses.length != plans.size()) {
            throw new IllegalArgumentException("update needs one loss per plan and at least one plan: " + plans.size()
                    + " plans, " + losses.length + " losses");
        }
        double[] p = probabilities();
        double[] reward = new double[losses.length];
        double baseline = 0;
        for (int j = 0; j < losses.length; j++) {
            if (plans.get(j).layerCount() != candidates) {
                throw new IllegalArgumentException("plan " + plans.get(j) + " is over " + plans.get(j).layerCount()
                        + " candidates but the search has " + candidates);
            }
            reward[j] = Math.exp(-losses[j]);
            baseline += reward[j];
        }
        baseline /= losses.length;
        for (int j = 0; j < losses.length; j++) {
            double advantage = reward[j] - baseline;
            for (int i : plans.get(j).skippedLayers()) {
                gates[i] += advantage * p[i] * (1 - p[i]);
            }
        }
    }

    /**
     * Runs {@code rounds} rounds, one evaluator call each, then one more call for the loss of {@link #best()}. The
     * history holds every call: the rounds in order, then the final plan alone.
     */
    public SearchResult run(PlanEvaluator eval, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be > 0: " + rounds);
        }
        List<SearchResult.Round> history = new ArrayList<>(rounds + 1);
        for (int round = 0; round < rounds; round++) {
            SearchResult.Round r = SearchResult.Round.evaluate(eval, propose());
            update(r.plans(), r.losses());
            history.add(r);
        }
        SkipPlan plan = best();
        SearchResult.Round last = SearchResult.Round.evaluate(eval, List.of(plan));
        history.add(last);
        return new SearchResult(NAME, plan, ranking(), last.loss(0), history);
    }

    /** C(n, k) in double (exact up to 2^53, far beyond 24 candidates). */
    static double subsets(int n, int k) {
        double c = 1;
        for (int i = 1; i <= k; i++) {
            c = c * (n - k + i) / i;
        }
        return c;
    }
}
