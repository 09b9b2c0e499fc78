package io.easspark.bench;

import java.util.Locale;

/**
 * One row of the goals table: what issue 7 asks, what this run measured, and whether it is met.
 *
 * @param ratio the measured quantity over its reference (a share of the prediction or of the peak, or a speed-up);
 *        NaN when not measured
 * @param reproduce the command that measures it again
 */
record Goal(String goal, String target, String measured, double ratio, Unit unit, Status status, String reproduce) {

    /** Whether the goal is met. */
    enum Status {
        YES("yes"), NO("no"), NOT_MEASURED("not measured");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** How the ratio reads: a share (95%) or a multiple (2.20x). */
    enum Unit {
        PERCENT, TIMES
    }

    /** Met when {@code ratio >= threshold}; a ratio that is not a number (nothing measured) meets nothing. */
    static Goal judged(String goal, String target, String measured, double ratio, double threshold, Unit unit,
            String reproduce) {
        Status status = Double.isNaN(ratio) ? Status.NOT_MEASURED : ratio >= threshold ? Status.YES : Status.NO;
        return new Goal(goal, target, measured, ratio, unit, status, reproduce);
    }

    static Goal notMeasured(String goal, String target, String why, String reproduce) {
        return new Goal(goal, target, why, Double.NaN, Unit.TIMES, Status.NOT_MEASURED, reproduce);
    }

    String ratioText() {
        if (Double.isNaN(ratio)) {
            return "—";
        }
        return unit == Unit.PERCENT ? Math.round(100 * ratio) + "%" : String.format(Locale.ROOT, "%.2fx", ratio);
    }
}
