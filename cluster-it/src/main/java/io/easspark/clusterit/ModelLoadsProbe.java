package io.easspark.clusterit;

import io.easspark.loader.cache.ModelCache;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Runs on an executor after a job and reports how often that executor's JVM loaded a model. It is shipped in its own
 * jar next to eas-jobs-spark.jar; both land in the executor's one application class loader, so the
 * {@link ModelCache} it reads is the one the job's tasks used.
 */
public final class ModelLoadsProbe implements FlatMapFunction<Iterator<Integer>, ModelLoadsProbe.ExecutorLoads> {

    private static final long serialVersionUID = 1L;

    /** One task's view of its executor: which one, which JVM, and the models that JVM has loaded. */
    public record ExecutorLoads(String executorId, long pid, int modelLoads) implements Serializable {
    }

    @Override
    public Iterator<ExecutorLoads> call(Iterator<Integer> ignored) {
        return List.of(new ExecutorLoads(SparkEnv.get().executorId(), ProcessHandle.current().pid(),
                ModelCache.global().loads())).iterator();
    }
}
