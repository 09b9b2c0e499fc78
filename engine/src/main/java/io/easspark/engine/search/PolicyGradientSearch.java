package io.easspark.engine.search;

import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * EAS's redundancy search (DESIGN.md §2): layer scores σ (init 0), {@code P = softmax(10·σ)}; each round samples n
 * plans of k layers without replacement from P, rewards each with {@code r = exp(−loss)}, and moves the score of
 * every layer i in a plan by {@code lr·(r − r̄)·P_i·(1 − P_i)}, r̄ the mean reward of the round. The final plan is
 * the k layers with highest P.
 *
 * <p>Reproducible procedure, given the seed:
 * <ul>
 *   <li>One {@link SplittableRandom} seeded with {@code seed} at construction; only sampling draws from it, one
 *       {@code nextDouble()} per chosen layer, k per plan, n plans per {@link #propose()} call, in plan order.</li>
 *   <li>One plan: P is computed once for the round; the k layers are drawn from it by {@link DrawWithoutReplacement}
 *       (each pick renormalises P over the layers not yet picked).</li>
 *   <li>An update uses P from before the round for all n plans and applies their steps one plan after another in
 *       the order given, which equals summing them: a layer in two plans of a round gets both steps, each with the
 *       same {@code P_i(1 − P_i)}.</li>
 * </ul>
 * Not thread-safe: one search runs in one driver thread.
 */
public final class PolicyGradientSearch {

    public static final String NAME = "policy-gradient";
    /** The 10 of {@code P = softmax(10·σ)} (DESIGN.md §2). */
    public static final double SCORE_SHARPNESS = 10.0;
    /** Plans sampled per round, n (DESIGN.md §2). */
    public static final int DEFAULT_PLANS_PER_ROUND = 3;
    /** The learning rate EAS uses for ScienceQA (1.0 for VQA; DESIGN.md §2). */
    public static final double SCIENCEQA_LR = 2.0;

    private final int layers;
    private final int k;
    private final int plansPerRound;
    private final double lr;
    private final SplittableRandom random;
    private final double[] sigma;

    /**
     * @param layers decoder layers L
     * @param k layers each plan skips
     * @param plansPerRound plans sampled per round, n
     * @param lr learning rate of the score update
     * @param seed seeds the sampler
     */
    public PolicyGradientSearch(int layers, int k, int plansPerRound, double lr, long seed) {
        SearchResult.checkSize(layers, k);
        if (plansPerRound < 1) {
            throw new IllegalArgumentException("plans per round must be > 0: " + plansPerRound);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be a positive number: " + lr);
        }
        this.layers = layers;
        this.k = k;
        this.plansPerRound = plansPerRound;
        this.lr = lr;
        this.random = new SplittableRandom(seed);
        this.sigma = new double[layers];
    }

    /** The layer scores σ (a copy). */
    public double[] sigma() {
        return sigma.clone();
    }

    /**
     * Takes {@code other}'s layer scores, so that this search samples from the same policy with its own random
     * stream (EAS training draws its training plans from the policy the search is learning).
     */
    public void copyScoresFrom(PolicyGradientSearch other) {
        if (other.layers != layers) {
            throw new IllegalArgumentException("searches over " + other.layers + " and " + layers + " layers");
        }
        System.arraycopy(other.sigma, 0, sigma, 0, layers);
    }

    /** {@code P = softmax(10·σ)}, computed in double with the max subtracted. */
    public double[] probabilities() {
        double max = Arrays.stream(sigma).max().orElse(0);
        double[] p = new double[layers];
        double sum = 0;
        for (int i = 0; i < layers; i++) {
            p[i] = Math.exp(SCORE_SHARPNESS * (sigma[i] - max));
            sum += p[i];
        }
        for (int i = 0; i < layers; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** All layers by P, highest first; ties by lower index. */
    public List<Integer> ranking() {
        double[] p = probabilities();
        return IntStream.range(0, layers).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i))
                .toList();
    }

    /** The k layers with highest P (ties by lower index): the plan the search settles on. */
    public SkipPlan best() {
        return SkipPlan.of(layers, ranking().subList(0, k).stream().mapToInt(Integer::intValue).toArray());
    }

    /** Samples this round's n plans from the current P (see the class comment for the exact procedure). */
    public List<SkipPlan> propose() {
        double[] p = probabilities();
        List<SkipPlan> plans = new ArrayList<>(plansPerRound);
        for (int j = 0; j < plansPerRound; j++) {
            plans.add(sample(p));
        }
        return plans;
    }

    private SkipPlan sample(double[] p) {
        return SkipPlan.of(layers, DrawWithoutReplacement.draw(p, k, random));
    }

    /**
     * One round's update from the plans' losses: {@code σ_i += lr·(r − r̄)·P_i·(1 − P_i)} for each layer i of each
     * plan, {@code r = exp(−loss)}, r̄ the mean reward of these plans, P from before the update.
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
            if (plans.get(j).layerCount() != layers) {
                throw new IllegalArgumentException("plan " + plans.get(j) + " is for " + plans.get(j).layerCount()
                        + " layers but the search has " + layers);
            }
            reward[j] = Math.exp(-losses[j]);
            baseline += reward[j];
        }
        baseline /= losses.length;
        for (int j = 0; j < losses.length; j++) {
            double advantage = reward[j] - baseline;
            for (int i : plans.get(j).skippedLayers()) {
                sigma[i] += lr * advantage * p[i] * (1 - p[i]);
            }
        }
    }

    /**
     * Runs {@code rounds} rounds, one evaluator call each, then one more call for the loss of {@link #best()}.
     * The history holds every call: the rounds in order, then the final plan alone.
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
}
