package io.easspark.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;

/** Element-wise comparisons with the worst difference in the failure message. */
public final class Close {

    private Close() {
    }

    /** Largest |a − b|. */
    public static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).as("array lengths").hasSameSizeAs(b);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }

    public static void assertClose(String what, float[] actual, float[] expected, double tolerance) {
        double d = maxAbsDiff(actual, expected);
        assertThat(d).as("%s: max |actual - expected| over %d values", what, actual.length).isLessThanOrEqualTo(tolerance);
    }
}
