package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.cache.ModelCache;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The job's promises on one shared session: exactly once under a task retry, --resume, one model load per JVM,
 * partitioned output, the progress line and summary. {@code local[2,2]}: two task threads, two attempts per task.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferJobTest {

    SparkSession spark;
    Path tmp;
    Path demo;
    List<String> inputIds;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("infer-job");
        demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "24")).isZero();
        spark = LocalSpark.session("local[2,2]", "infer-job-test");
        inputIds = spark.read().json(demo.resolve("data/questions.jsonl").toString()).select("id").orderBy("id")
                .collectAsList().stream().map(r -> r.getString(0)).toList();
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    InferOptions.Builder options(String output) {
        return InferOptions.builder(demo.resolve("data/questions.jsonl").toString(), demo.resolve("model").toString(), output)
                .imageRoot(demo.resolve("data").toString()).batchSize(2).maxNewTokens(3).device("cpu").previewRows(3);
    }

    List<String> outputIds(String output) {
        return spark.read().parquet(output).select("id").orderBy("id").collectAsList().stream().map(r -> r.getString(0)).toList();
    }

    record Run(InferJob.Summary summary, String out) {
    }

    Run run(InferOptions o) throws Exception {
        StringWriter out = new StringWriter();
        InferJob.Summary s = InferJob.run(spark, o, new PrintWriter(out, true));
        return new Run(s, out.toString());
    }

    Run run(InferOptions.Builder b) throws Exception {
        return run(b.build(spark.sparkContext().hadoopConfiguration()));
    }

    @Test
    void aTaskThatFailsAfterWritingRowsIsRetriedWithoutDuplicates() throws Exception {
        AtomicInteger failedAttempts = new AtomicInteger();
        SparkListener failures = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof TaskFailedReason) {
                    failedAttempts.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(failures);
        // 2 partitions of 12 rows; the first attempt of partition 1 fails after the writer took its first answer
        String output = tmp.resolve("retried").toString();
        InferOptions o = options(output).batchSize(1).partitions(2).build(spark.sparkContext().hadoopConfiguration());
        InferJob.Summary summary;
        try {
            summary = InferJob.run(spark, o, new PrintWriter(new StringWriter()), f -> new FailFirstAttempt(f, Set.of(1)));
        } finally {
            spark.sparkContext().removeSparkListener(failures);
        }
        assertThat(failedAttempts.get()).as("the injected failure happened").isGreaterThanOrEqualTo(1);
        assertThat(outputIds(output)).containsExactlyElementsOf(inputIds);
        // accumulators of the failed attempt are dropped: each row counted once
        assertThat(summary.answeredRows()).isEqualTo(24);
        assertThat(summary.byStatus()).containsEntry("image_missing", 1L).containsEntry("empty_question", 1L).containsEntry("ok", 22L);
    }

    @Test
    void resumeAnswersOnlyTheMissingIdsAndAppendsThem() throws Exception {
        Path firstTen = tmp.resolve("first-ten.jsonl");
        Files.write(firstTen, Files.readAllLines(demo.resolve("data/questions.jsonl")).subList(0, 10));
        String output = tmp.resolve("resumed").toString();
        run(options(output).build(spark.sparkContext().hadoopConfiguration()).withInput(firstTen.toString()));
        assertThat(outputIds(output)).hasSize(10);

        Run second = run(options(output).resume(true));
        assertThat(second.out()).contains("resume: 10 of 24 input rows already in");
        assertThat(second.summary().answeredRows()).isEqualTo(14);
        assertThat(second.summary().outputRows()).isEqualTo(24);
        assertThat(outputIds(output)).containsExactlyElementsOf(inputIds);

        Run third = run(options(output).resume(true));
        assertThat(third.out()).contains("resume: 24 of 24 input rows already in");
        assertThat(third.summary().answeredRows()).isZero();
        assertThat(outputIds(output)).containsExactlyElementsOf(inputIds);
    }

    @Test
    void resumeRefusesAFolderThatIsNotAFinishedOutput() throws Exception {
        Path notOutput = Files.createDirectories(tmp.resolve("not-an-output"));
        Files.writeString(notOutput.resolve("notes.txt"), "hello");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> run(options(notOutput.toString()).resume(true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no _SUCCESS marker");
    }

    @Test
    void oneModelLoadPerJvmAcrossFourPartitionsAndTwoTaskThreads() throws Exception {
        for (boolean shared : new boolean[] {true, false}) {
            ModelCache.global().clear();
            int before = ModelCache.global().loads();
            String output = tmp.resolve("loads-" + shared).toString();
            run(options(output).partitions(4).crossTaskBatching(shared));
            assertThat(ModelCache.global().loads() - before).as("loads with cross-task batching " + shared).isEqualTo(1);
            assertThat(outputIds(output)).containsExactlyElementsOf(inputIds);
        }
    }

    @Test
    void everySpellingOfThePlanIsOneModelLoad() throws Exception {
        Path firstFour = tmp.resolve("first-four.jsonl");
        Files.write(firstFour, Files.readAllLines(demo.resolve("data/questions.jsonl")).subList(0, 4));
        Path planFile = tmp.resolve("skip_plan.json");
        Files.writeString(planFile, "{\"plan\": [1, 3]}");
        ModelCache.global().clear();
        int before = ModelCache.global().loads();
        // the demo model's stored plan is 1,3: given or not, and however it is written, it is one model
        List<String> spellings = java.util.Arrays.asList("1,3", "1, 3", " 1,3-3 ", planFile.toString(), null);
        for (int i = 0; i < spellings.size(); i++) {
            String output = tmp.resolve("spelling-" + i).toString();
            Run r = run(options(output).maxNewTokens(1).skipPlan(spellings.get(i)).build(spark.sparkContext().hadoopConfiguration())
                    .withInput(firstFour.toString()));
            assertThat(r.summary().outputRows()).isEqualTo(4);
            assertThat(spark.read().parquet(output).select("skip_plan").distinct().collectAsList())
                    .singleElement().satisfies(row -> assertThat(row.getString(0)).isEqualTo("1,3"));
        }
        assertThat(ModelCache.global().loads() - before).as("model loads for 5 spellings of one plan").isEqualTo(1);
    }

    @Test
    void crossTaskBatchingChangesNoAnswer() throws Exception {
        String shared = tmp.resolve("shared").toString();
        String perTask = tmp.resolve("per-task").toString();
        run(options(shared).partitions(3).crossTaskBatching(true));
        run(options(perTask).partitions(3).crossTaskBatching(false));
        List<Row> a = spark.read().parquet(shared).select("id", "status", "answer_text", "generated_tokens").orderBy("id").collectAsList();
        List<Row> b = spark.read().parquet(perTask).select("id", "status", "answer_text", "generated_tokens").orderBy("id").collectAsList();
        assertThat(a).hasSize(24).containsExactlyElementsOf(b);
    }

    @Test
    void outputIsPartitionedByAnOutputOrACarriedInputColumn() throws Exception {
        String byStatus = tmp.resolve("by-status").toString();
        run(options(byStatus).partitionBy("status"));
        assertThat(Path.of(byStatus, "status=ok")).isDirectory();
        assertThat(Path.of(byStatus, "status=empty_question")).isDirectory();
        assertThat(outputIds(byStatus)).containsExactlyElementsOf(inputIds);

        String byAnswer = tmp.resolve("by-answer").toString();
        run(options(byAnswer).partitionBy("answer"));
        assertThat(Path.of(byAnswer, "answer=A")).isDirectory();
        // the carried column comes back with the same value the input had
        List<Row> joined = spark.read().parquet(byAnswer).join(spark.read().json(demo.resolve("data/questions.jsonl").toString())
                .selectExpr("id", "answer as input_answer"), "id").selectExpr("answer = input_answer").collectAsList();
        assertThat(joined).hasSize(24).allSatisfy(r -> assertThat(r.getBoolean(0)).isTrue());
    }

    @Test
    void progressLineAndSummaryTable() throws Exception {
        Run r = run(options(tmp.resolve("progress").toString()).progressSeconds(1));
        assertThat(r.out()).contains("progress: 24/24 rows (100%)", "rows/s", "tokens/s generated", "ETA");
        assertThat(r.out()).contains("status            rows   share", "ok                22", "image_missing     1", "tokens: ");
        assertThat(r.summary().generatedTokens()).isGreaterThan(0);
        assertThat(r.summary().promptTokens()).isGreaterThan(r.summary().generatedTokens());
    }
}
