package io.easspark.jobs.spark;

import org.apache.spark.sql.SparkSession;

/** The one place that builds a session when a command runs outside spark-submit. */
public final class LocalSpark {

    private LocalSpark() {
    }

    /**
     * A session for a command. Under spark-submit (which sets {@code spark.master}) the submit's master and settings
     * win and {@code master} must be null; run directly ({@code java -jar}), {@code master} defaults to {@code local[*]}.
     */
    public static SparkSession session(String master, String app) {
        String submitted = System.getProperty("spark.master");
        if (submitted != null) {
            if (master != null && !master.equals(submitted)) {
                throw new IllegalArgumentException("--master " + master + " conflicts with spark-submit's master " + submitted
                        + ": give the master to spark-submit only");
            }
            return SparkSession.builder().appName(app).getOrCreate();
        }
        return SparkSession.builder()
                .master(master == null ? "local[*]" : master)
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
