package io.easspark.jobs.spark;

import org.apache.spark.sql.SparkSession;

/** The one place that builds a session when a command runs outside spark-submit. */
public final class LocalSpark {

    private LocalSpark() {
    }

    /**
     * @param master e.g. {@code local[*]}; under spark-submit the master comes from there and this is not called
     */
    public static SparkSession session(String master, String app) {
        return SparkSession.builder()
                .master(master)
                .appName(app)
                // the UI's port and threads are noise for a local batch job and for tests
                .config("spark.ui.enabled", "false")
                // the hostname here resolves to a non-loopback address; bind to loopback (shared/FACTS.md)
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                // a local job has a handful of partitions; 200 shuffle partitions would be 200 tiny tasks
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }
}
