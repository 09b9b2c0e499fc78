package io.easspark.jobs.infer;

import java.util.Set;
import org.apache.spark.TaskContext;

/**
 * Test-only hook: makes the first attempt of chosen partitions fail after they have emitted rows, so tests can show
 * that the retried task adds no duplicates. Static state reaches tasks only in the driver's JVM ({@code local[N,F]});
 * nothing in production sets it.
 */
public final class TaskFaults {

    private static volatile Set<Integer> failFirstAttempt = Set.of();

    private TaskFaults() {
    }

    /** Partitions whose first attempt will throw once it has emitted rows; empty to switch off. */
    public static void failFirstAttemptOf(Set<Integer> partitions) {
        failFirstAttempt = Set.copyOf(partitions);
    }

    static void maybeFail(long rowsEmitted) {
        if (rowsEmitted == 0 || failFirstAttempt.isEmpty()) {
            return;
        }
        TaskContext tc = TaskContext.get();
        if (tc != null && tc.attemptNumber() == 0 && failFirstAttempt.contains(tc.partitionId())) {
            throw new IllegalStateException("injected failure in partition " + tc.partitionId() + " after " + rowsEmitted + " rows");
        }
    }
}
