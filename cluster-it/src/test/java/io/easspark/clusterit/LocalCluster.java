package io.easspark.clusterit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark cluster on this machine as the ITs use it: {@code local-cluster[N,1,1024]} starts a master, N workers and
 * N executor JVMs from {@code $SPARK_HOME/jars} (assembled by this module's build, shared/FACTS.md); the driver is the
 * test JVM. Executors see the job only through {@code spark.jars}, as under spark-submit.
 */
final class LocalCluster {

    /** Executors start libtorch and register in a few seconds; a busy 2-core CI box gets ample slack. */
    private static final String REGISTRATION_TIMEOUT = "120s";

    private LocalCluster() {
    }

    /** Starts the cluster and returns once all {@code executors} have registered. */
    static SparkSession start(int executors) {
        Path sparkHome = sparkHome();
        String jars = file("eas.spark.job.jar") + "," + file("eas.probe.jar");
        SparkSession spark = SparkSession.builder()
                // one core and 1024 MB per executor: every task of a job queues on one of N model-holding JVMs
                .master("local-cluster[" + executors + ",1,1024]")
                .appName("eas-cluster-it")
                // the job as spark-submit ships it: the shaded jar, plus the probe that reads the executors' cache
                .config("spark.jars", jars)
                // libtorch comes out of the shaded jar into this folder (430 MB), which the executors share as on one node
                .config("spark.executorEnv.DJL_CACHE_DIR", System.getProperty("eas.djl.cache.dir"))
                // executors never download, and run libtorch on one thread each (two of them share two cores)
                .config("spark.executor.extraJavaOptions",
                        "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1")
                // start no task before every executor is there, or one JVM could run them all; standalone counts
                // the expected cores from spark.cores.max and, without it, expects none
                .config("spark.cores.max", String.valueOf(executors))
                .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                .config("spark.scheduler.maxRegisteredResourcesWaitingTime", REGISTRATION_TIMEOUT)
                // the hostname resolves to a non-loopback address here (shared/FACTS.md); the UI is noise
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                // the job's few grouped rows need one shuffle partition per executor, not 200
                .config("spark.sql.shuffle.partitions", String.valueOf(executors))
                .getOrCreate();
        List<String> registered = executorIds(spark);
        if (registered.size() != executors) {
            spark.stop();
            throw new IllegalStateException(registered.size() + " of " + executors + " executors registered within "
                    + REGISTRATION_TIMEOUT + "; their logs are under " + sparkHome.resolve("work"));
        }
        return spark;
    }

    static List<String> executorIds(SparkSession spark) {
        // by iterator: Scala's Java converters differ between 2.12 (the spark35 build) and 2.13
        List<String> ids = new java.util.ArrayList<>();
        scala.collection.Iterator<String> it = spark.sparkContext().getExecutorIds().iterator();
        while (it.hasNext()) {
            ids.add(it.next());
        }
        return ids;
    }

    static Path sparkHome() {
        String home = System.getenv("SPARK_HOME");
        if (home == null || !Files.isRegularFile(Path.of(home, "RELEASE")) || !Files.isDirectory(Path.of(home, "jars"))) {
            throw new IllegalStateException("SPARK_HOME " + home + " has no RELEASE and jars/: run the ITs with ./mvnw verify");
        }
        return Path.of(home);
    }

    /** A file the build made, named by a system property that the failsafe configuration sets. */
    static Path file(String property) {
        String value = System.getProperty(property);
        if (value == null || !Files.isRegularFile(Path.of(value))) {
            throw new IllegalStateException(property + " " + value + " is not a file: run the ITs with ./mvnw verify");
        }
        return Path.of(value);
    }
}
