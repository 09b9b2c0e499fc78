package io.easspark.engine.search;

import java.util.SplittableRandom;

/**
 * Draws k distinct indices with probability proportional to non-negative weights, renormalising over the indices
 * not yet drawn after each draw (what {@code torch.multinomial(weights, k)} does without replacement). Both EAS
 * searches sample their plans this way: LaVIN's from {@code softmax(10·σ)}, METER's from the sigmoid gates.
 *
 * <p>Reproducible procedure: one {@code nextDouble()} per drawn index, in draw order. For each draw,
 * {@code u = nextDouble() · Σ w_i} over the indices not yet drawn; walking those in index order, the first whose
 * cumulative weight exceeds u is drawn. If none does (round-off, or every remaining weight is 0), the last remaining
 * index with a positive weight is drawn, else the lowest remaining index.
 */
public final class DrawWithoutReplacement {

    private DrawWithoutReplacement() {
    }

    /** @return the k drawn indices in draw order */
    public static int[] draw(double[] weights, int k, SplittableRandom random) {
        int n = weights.length;
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("cannot draw " + k + " distinct indices out of " + n);
        }
        boolean[] taken = new boolean[n];
        int[] chosen = new int[k];
        for (int pick = 0; pick < k; pick++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                if (!taken[i]) {
                    total += weights[i];
                }
            }
            double u = random.nextDouble() * total;
            int choice = -1;
            int lastPositive = -1;
            int firstFree = -1;
            double cumulative = 0;
            for (int i = 0; i < n && choice < 0; i++) {
                if (taken[i]) {
                    continue;
                }
                firstFree = firstFree < 0 ? i : firstFree;
                if (weights[i] > 0) {
                    lastPositive = i;
                }
                cumulative += weights[i];
                if (u < cumulative) {
                    choice = i;
                }
            }
            if (choice < 0) {
                choice = lastPositive >= 0 ? lastPositive : firstFree;
            }
            taken[choice] = true;
            chosen[pick] = choice;
        }
        return chosen;
    }
}
