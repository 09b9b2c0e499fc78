package io.easspark.jobs.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/** The one place that builds a session when a command runs outside spark-submit. */
public final class LocalSpark {

    private LocalSpark() {
    }

    /**
     * libtorch's intra-op threads, unless set: the cores divided among the task slots of a {@code local[N]} master.
     * libtorch's own default gives every task all cores; with two tasks on two busy cores the demo then took 241 s
     * instead of 24 s (OpenMP threads waiting on each other). Must run before the first model loads.
     */
    static void defaultTorchThreads(String master) {
        if (System.getProperty("ai.djl.pytorch.num_threads") != null) {
            return;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]").matcher(master.trim());
        int slots = !m.matches() ? 1 : m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(Math.max(1, cores / Math.max(1, slots))));
    }

    /**
     * The Hadoop settings a command reads its model and plan file with before any session exists: Hadoop's own
     * (core-site.xml) plus every {@code spark.hadoop.*} setting, which spark-submit hands the driver as system
     * properties (--conf, spark-defaults.conf) — what the session's hadoopConfiguration will hold too.
     */
    public static Configuration hadoopConf() {
        Configuration conf = new Configuration();
        String prefix = "spark.hadoop.";
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                conf.set(key.substring(prefix.length()), System.getProperty(key));
            }
        }
        return conf;
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
        String local = master == null ? "local[*]" : master;
        defaultTorchThreads(local);
        // Spark warns that the hostname resolves to a non-loopback address unless SPARK_LOCAL_IP is set; this session
        // binds to loopback itself (below), so the warning would only mislead. Quiet for the start alone: Spark
        // computes that address once, and later warnings of the same logger still show.
        String utils = "org.apache.spark.util.Utils";
        org.apache.logging.log4j.Level before = org.apache.logging.log4j.LogManager.getLogger(utils).getLevel();
        if (System.getenv("SPARK_LOCAL_IP") == null) {
            org.apache.logging.log4j.core.config.Configurator.setLevel(utils, org.apache.logging.log4j.Level.ERROR);
        }
        try {
            return build(local, app);
        } finally {
            org.apache.logging.log4j.core.config.Configurator.setLevel(utils, before);
        }
    }

    private static SparkSession build(String local, String app) {
        return SparkSession.builder()
                .master(local)
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
