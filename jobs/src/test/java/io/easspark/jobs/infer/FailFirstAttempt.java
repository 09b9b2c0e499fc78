package io.easspark.jobs.infer;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Test-only decorator of infer's partition function: the first attempt of the chosen partitions throws once it has
 * handed the writer some rows, so a test can show that the retried task adds no duplicates. It wraps the function
 * from outside ({@link InferJob#run(org.apache.spark.sql.SparkSession, InferOptions, java.io.PrintWriter,
 * java.util.function.UnaryOperator)}), so the production loop has no fault hook, and its state travels with the task
 * (no JVM-wide switch).
 */
final class FailFirstAttempt implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final MapPartitionsFunction<Row, Row> delegate;
    private final Set<Integer> partitions;

    FailFirstAttempt(MapPartitionsFunction<Row, Row> delegate, Set<Integer> partitions) {
        this.delegate = delegate;
        this.partitions = Set.copyOf(partitions);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) throws Exception {
        Iterator<Row> rows = delegate.call(input);
        TaskContext tc = TaskContext.get();
        if (tc == null || tc.attemptNumber() != 0 || !partitions.contains(tc.partitionId())) {
            return rows;
        }
        return new Iterator<>() {
            private long emitted;

            @Override
            public boolean hasNext() {
                boolean more = rows.hasNext();
                if (more && emitted > 0) {
                    throw new IllegalStateException("injected failure in partition " + tc.partitionId() + " after " + emitted + " rows");
                }
                return more;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                emitted++;
                return rows.next();
            }
        };
    }
}
