package io.easspark.jobs.infer;

/**
 * How a run treats what is already there and what goes wrong, apart from how rows are answered: kept out of
 * {@link InferOptions}, which travels to the executors, because only the driver needs it.
 *
 * @param overwrite replace an existing output folder, if it is empty or a finished infer output ({@code --overwrite})
 * @param skipMalformed answer the well-formed rows and count the malformed lines, instead of failing
 *     ({@code --on-malformed skip})
 * @param allowDuplicateIds answer every row even when ids repeat ({@code --allow-duplicate-ids}); --resume and
 *     evaluate's join then cannot tell the rows apart
 * @param maxErrorFraction fail the run (exit 3) when more than this share of its answered rows is not {@code ok};
 *     1 never fails on that count ({@code --max-error-fraction})
 */
public record RunPolicy(boolean overwrite, boolean skipMalformed, boolean allowDuplicateIds, double maxErrorFraction) {

    public RunPolicy {
        if (!(maxErrorFraction >= 0 && maxErrorFraction <= 1)) {
            throw new IllegalArgumentException("--max-error-fraction must be in 0..1: " + maxErrorFraction);
        }
    }

    /** The command line's defaults: refuse an existing output, fail on a malformed line or a repeated id. */
    public static RunPolicy defaults() {
        return new RunPolicy(false, false, false, 1.0);
    }

    /**
     * What {@link InferJob#run(org.apache.spark.sql.SparkSession, InferOptions, java.io.PrintWriter)} uses for library
     * callers (evaluate's per-plan answers, the benchmark): they rerun into their own finished outputs.
     */
    public static RunPolicy library() {
        return new RunPolicy(true, false, false, 1.0);
    }

    /** {@code --on-malformed}: fail or skip. */
    public static boolean parseOnMalformed(String v) {
        return switch (v == null ? "fail" : v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "fail" -> false;
            case "skip" -> true;
            default -> throw new IllegalArgumentException("unknown --on-malformed " + v + ": expected fail or skip");
        };
    }
}
