package io.easspark.jobs.infer;

import java.util.Locale;

/**
 * {@code --cross-task-batching}: whether the tasks of one executor share full batches on its device ({@link
 * io.easspark.udf.DeviceBatcher}). {@code AUTO} is on for a GPU and off on the CPU, where two tasks' own batches on
 * their own cores answer faster (docs/BENCHMARKS.md).
 */
public enum CrossTaskBatching {
    AUTO,
    ON,
    OFF;

    public static final String DEFAULT = "auto";

    public static CrossTaskBatching parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--cross-task-batching must be auto, on or off: " + text);
        }
    }

    /** Whether rows meet in one batcher per device, for a task on a GPU or not. */
    public boolean shares(boolean gpu) {
        return this == ON || (this == AUTO && gpu);
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
