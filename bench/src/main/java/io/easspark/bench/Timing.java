package io.easspark.bench;

/**
 * Seconds of one generate call, split into the prefill and the decode steps after it (medians over the timed runs).
 *
 * @param prefillSeconds the prompt's forward pass and the first token
 * @param decodeSeconds the single-token steps that follow; NaN when noise hid them (see {@link EngineTimer#time})
 */
record Timing(double prefillSeconds, double decodeSeconds) {

    Timing {
        if (!(prefillSeconds > 0) || decodeSeconds <= 0) {
            throw new IllegalArgumentException("timings must be > 0 s: prefill " + prefillSeconds + ", decode " + decodeSeconds);
        }
    }

    /** Whole answers per second: every row of the batch gets its answer when the last decode step ends (NaN if unknown). */
    double answersPerSecond(int rows) {
        return rows / (prefillSeconds + decodeSeconds);
    }
}
