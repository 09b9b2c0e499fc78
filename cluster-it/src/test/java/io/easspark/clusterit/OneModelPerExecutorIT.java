package io.easspark.clusterit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.easspark.clusterit.ModelLoadsProbe.ExecutorLoads;
import io.easspark.jobs.EasCli;
import io.easspark.jobs.infer.InferJob;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.loader.cache.ModelCache;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One model per executor JVM (DESIGN.md §4), shown rather than assumed: the real infer job runs from
 * eas-jobs-spark.jar on two executor JVMs over eight input files, so each JVM answers several tasks' rows; then a
 * probe asks every JVM how many models it loaded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OneModelPerExecutorIT {

    private static final int EXECUTORS = 2;
    /** Demo rows; row 1 has a missing image and row 2 an empty question. */
    private static final int ROWS = 48;
    /** One input partition per file: four tasks per executor on average. */
    private static final int INPUT_FILES = 8;
    /** Enough probe tasks that both idle executors get some. */
    private static final int PROBE_TASKS = 4 * EXECUTORS;
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    @TempDir
    static Path tmp;
    SparkSession spark;
    Path demo;
    Path input;

    @BeforeAll
    void startCluster() throws IOException {
        demo = tmp.resolve("demo");
        StringWriter err = new StringWriter();
        int exit = EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "demo", "--weights", "random", "--output", demo.toString(),
                "--rows", String.valueOf(ROWS));
        assertThat(exit).as(err.toString()).isZero();
        input = split(demo.resolve("data/questions.jsonl"), tmp.resolve("questions"), INPUT_FILES);
        spark = LocalCluster.start(EXECUTORS);
        // opening a file costs as much as a whole partition, so Spark packs no two small files into one task
        spark.conf().set("spark.sql.files.openCostInBytes", spark.conf().get("spark.sql.files.maxPartitionBytes"));
    }

    @AfterAll
    void stopCluster() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void everyRowIsAnsweredOnceAndEachExecutorJvmLoadsTheModelOnce() throws IOException {
        assertThat(spark.read().json(input.toString()).rdd().getNumPartitions()).as("input partitions").isEqualTo(INPUT_FILES);
        String output = tmp.resolve("answers").toString();

        InferJob.Summary summary = InferJob.run(spark, options(output), new PrintWriter(new StringWriter()));

        List<String> inputIds = ids(demo.resolve("data/questions.jsonl"));
        assertThat(inputIds).hasSize(ROWS).doesNotHaveDuplicates();
        List<String> outputIds = spark.read().parquet(output).select("id").as(Encoders.STRING()).collectAsList();
        assertThat(outputIds).as("each input id exactly once").containsExactlyInAnyOrderElementsOf(inputIds);
        // the executors read the images under --image-root: only the two rows that are bad on purpose are not ok
        assertThat(summary.byStatus()).containsOnly(entry("empty_question", 1L), entry("image_missing", 1L),
                entry("ok", (long) ROWS - 2), entry("image_corrupt", 0L), entry("image_too_large", 0L), entry("prompt_truncated", 0L),
                entry("error", 0L));

        Set<ExecutorLoads> jvms = new HashSet<>(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(IntStream.range(0, PROBE_TASKS).boxed().toList(), PROBE_TASKS)
                .mapPartitions(new ModelLoadsProbe()).collect());
        assertThat(jvms).as("one answer per executor JVM").hasSize(EXECUTORS);
        assertThat(jvms).extracting(ExecutorLoads::executorId).as("the executors that ran the job, none replaced")
                .containsExactlyInAnyOrderElementsOf(LocalCluster.executorIds(spark));
        assertThat(jvms).extracting(ExecutorLoads::pid).as("separate JVMs, not the driver")
                .doesNotHaveDuplicates().doesNotContain(ProcessHandle.current().pid());
        // 8 tasks, 2 loads: each JVM kept its model for every task it ran
        assertThat(jvms).extracting(ExecutorLoads::modelLoads).as("model loads per executor JVM").containsOnly(1);
        assertThat(ModelCache.global().loads()).as("the driver checks the model but never loads it").isZero();
    }

    private InferOptions options(String output) {
        return InferOptions.builder(input.toString(), demo.resolve("model").toString(), output).inputFormat("json")
                .imageRoot(demo.resolve("data").toString()).batchSize(4).maxNewTokens(6).device("cpu").previewRows(0)
                .progressSeconds(0).build(new org.apache.hadoop.conf.Configuration());
    }

    /** Deals the lines of a JSONL file round-robin into {@code files} files in {@code dir}. */
    private static Path split(Path jsonl, Path dir, int files) throws IOException {
        Files.createDirectories(dir);
        List<String> lines = Files.readAllLines(jsonl);
        List<Writer> out = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            out.add(Files.newBufferedWriter(dir.resolve("part-" + f + ".jsonl")));
        }
        for (int i = 0; i < lines.size(); i++) {
            out.get(i % files).write(lines.get(i) + "\n");
        }
        for (Writer w : out) {
            w.close();
        }
        return dir;
    }

    private static List<String> ids(Path jsonl) throws IOException {
        List<String> ids = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            Matcher m = ID.matcher(line);
            assertThat(m.find()).as(line).isTrue();
            ids.add(m.group(1));
        }
        return ids;
    }
}
