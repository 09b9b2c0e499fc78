package io.easspark.engine.tune;

/**
 * Linear warm-up to the peak, then cosine decay to {@code floor}·peak at the last step: the usual schedule for
 * training transformers from scratch, and the one LaVIN's fine-tuning uses (with its own numbers).
 */
public record LearningRate(double peak, int warmup, int steps, double floor) {

    public LearningRate {
        if (!(peak > 0) || warmup < 0 || steps <= 0 || floor < 0 || floor > 1) {
            throw new IllegalArgumentException("learning rate needs peak > 0, warmup >= 0, steps > 0, 0 <= floor <= 1: " + this);
        }
    }

    /** The rate at 0-based {@code step}. */
    public double at(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double progress = steps <= warmup ? 1 : Math.min(1.0, (step - warmup) / (double) (steps - warmup));
        return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
