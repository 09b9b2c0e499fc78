package io.easspark.engine.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Temperature and top-p sampling for one row with its own seeded generator, so a row's tokens depend only on its
 * own logits, the job seed and the row key — never on its batch neighbours.
 */
public final class Sampler {

    private final double temperature;
    private final double topP;
    private final SplittableRandom random;

    public Sampler(double temperature, double topP, long seed, long rowKey) {
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(mix(seed) ^ mix(rowKey + 0x9E3779B97F4A7C15L));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** Greedy choice: the first index of the largest logit (as torch.argmax). */
    public static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Samples from softmax(logits / T) restricted to the smallest set of top tokens whose mass reaches top-p. */
    public int sample(float[] logits) {
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double cumulative = 0;
        int keep = 0;
        while (keep < n) {
            cumulative += p[order[keep]];
            keep++;
            if (cumulative >= topP) {
                break;
            }
        }
        double u = random.nextDouble() * cumulative;
        double acc = 0;
        for (int k = 0; k < keep; k++) {
            acc += p[order[k]];
            if (u < acc) {
                return order[k];
            }
        }
        return order[keep - 1];
    }
}
