package io.easspark.jobs.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.jobs.EasCli;
import io.easspark.jobs.infer.InferJob;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.jobs.spark.LocalSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** calibrate on the demo through Spark: the files it writes, infer reading its plan, and a reproducible rl search. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CalibrateJobTest {

    SparkSession spark;
    Path tmp;
    Path demo;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("calibrate");
        demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "16")).isZero();
        spark = LocalSpark.session("local[2]", "calibrate-test");
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    CalibrateJob.Options options(String strategy, int partitions, Path out) {
        InferOptions in = InferOptions.builder(demo.resolve("data/questions.jsonl").toString(), demo.resolve("model").toString(), out.toString())
                .imageRoot(demo.resolve("data").toString()).batchSize(4).device("cpu").partitions(partitions)
                .build(spark.sparkContext().hadoopConfiguration());
        return new CalibrateJob.Options(in, "answer", null, strategy, 2, 3, 4, 3, 2.0, 11, out);
    }

    @Test
    void scoresTheExplanationFirstTargetFromASolutionColumn() throws Exception {
        Path input = tmp.resolve("with-solution.jsonl");
        StringBuilder copy = new StringBuilder();
        for (String line : Files.readAllLines(demo.resolve("data/questions.jsonl"))) {
            JsonObject row = JsonParser.parseString(line).getAsJsonObject();
            row.addProperty("solution", "The picture shows one shape.");
            copy.append(row).append('\n');
        }
        Files.writeString(input, copy);
        InferOptions in = InferOptions.builder(input.toString(), demo.resolve("model").toString(), tmp.resolve("sol").toString())
                .imageRoot(demo.resolve("data").toString()).batchSize(4).device("cpu").build(spark.sparkContext().hadoopConfiguration());
        PrintWriter quiet = new PrintWriter(new StringWriter());
        CalibrateJob.Result plain = CalibrateJob.run(spark, new CalibrateJob.Options(in, "answer", null, "leave-one-out", 2, 2, 4, 3, 2.0, 11,
                tmp.resolve("sol-plain")), quiet);
        CalibrateJob.Result ea = CalibrateJob.run(spark, new CalibrateJob.Options(in, "answer", "solution", "leave-one-out", 2, 2, 4, 3, 2.0, 11,
                tmp.resolve("sol-ea")), quiet);
        // the scored target is longer by the solution's tokens, so the same model and rows give another loss
        assertThat(ea.curve().get(0).loss()).isNotCloseTo(plain.curve().get(0).loss(), within(1e-4));
        try (io.easspark.engine.text.LlamaTokenizer tok = io.easspark.engine.text.LlamaTokenizer.load(
                Files.newInputStream(demo.resolve("model/tokenizer.model")), "demo tokenizer")) {
            long[] ids = PlanLossPartition.target(tok, "C", "The capital of Alaska is Juneau.");
            assertThat(ids[ids.length - 1]).isEqualTo(io.easspark.engine.text.LlamaTokenizer.EOS);
            assertThat(tok.decode(java.util.Arrays.copyOf(ids, ids.length - 1))).isEqualTo("The capital of Alaska is Juneau. The answer is C.");
            long[] plainIds = PlanLossPartition.target(tok, "C");
            assertThat(tok.decode(java.util.Arrays.copyOf(plainIds, plainIds.length - 1))).isEqualTo("The answer is C.");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CalibrateJob.run(spark, new CalibrateJob.Options(in, "answer", "explanation",
                "leave-one-out", 2, 2, 4, 3, 2.0, 11, tmp.resolve("sol-missing")), quiet))
                .hasMessageContaining("--solution-col explanation: no such column");
    }

    @Test
    void leaveOneOutWritesAPlanInferAccepts() throws Exception {
        Path out = tmp.resolve("loo");
        CalibrateJob.Result r = CalibrateJob.run(spark, options("leave-one-out", 2, out), new PrintWriter(new StringWriter()));
        assertThat(r.plan().skippedCount()).isEqualTo(2);
        assertThat(r.ranking()).containsExactlyInAnyOrder(0, 1, 2, 3);
        assertThat(r.curve()).hasSize(4).extracting(CalibrateJob.Point::k).containsExactly(0, 1, 2, 3);
        assertThat(r.curve().get(0).prefillSpeedup()).isCloseTo(1.0, within(1e-12));
        assertThat(r.curve().get(3).decodeSpeedup()).isGreaterThan(r.curve().get(1).decodeSpeedup());
        // 14 of 16 demo rows can be scored: one has no image file, one an empty question
        assertThat(r.fingerprint()).startsWith("rows=16,");
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("skip_plan.json"))).getAsJsonObject();
        assertThat(json.get("plan").getAsString()).isEqualTo(r.plan().toString());
        assertThat(json.get("strategy").getAsString()).isEqualTo("leave-one-out");
        assertThat(json.get("k").getAsInt()).isEqualTo(2);
        assertThat(json.get("dataset_fingerprint").getAsString()).isEqualTo(r.fingerprint());
        assertThat(Files.readString(out.resolve("curve.md"))).contains("| 0 | none |", "| 2 | " + r.plan() + " |");
        assertThat(Files.readAllBytes(out.resolve("curve.png"))).startsWith(0x89, 'P', 'N', 'G');

        String answers = tmp.resolve("answers").toString();
        InferJob.run(spark, InferOptions.builder(demo.resolve("data/questions.jsonl").toString(), demo.resolve("model").toString(), answers)
                .imageRoot(demo.resolve("data").toString()).maxNewTokens(2).skipPlan(out.resolve("skip_plan.json").toString())
                .device("cpu").previewRows(0).progressSeconds(0).build(spark.sparkContext().hadoopConfiguration()), new PrintWriter(new StringWriter()));
        assertThat(spark.read().parquet(answers).select("skip_plan").distinct().collectAsList())
                .singleElement().satisfies(row -> assertThat(row.getString(0)).isEqualTo(r.plan().toString()));
    }

    @Test
    void rlSearchIsReproducibleAcrossRunsAndPartitionCounts() throws Exception {
        CalibrateJob.Result a = CalibrateJob.run(spark, options("rl", 1, tmp.resolve("rl-a")), new PrintWriter(new StringWriter()));
        CalibrateJob.Result b = CalibrateJob.run(spark, options("rl", 3, tmp.resolve("rl-b")), new PrintWriter(new StringWriter()));
        assertThat(b.plan()).isEqualTo(a.plan());
        assertThat(b.ranking()).isEqualTo(a.ranking());
        assertThat(b.loss()).isCloseTo(a.loss(), within(1e-6));
        // 4 rounds of 3 plans, the best plan alone, then the curve (k = 0..3) in one more round
        assertThat(a.plansEvaluated()).isEqualTo(4 * 3 + 1 + 4);
    }

    @Test
    void badArgumentsFailBeforeAnyTask() {
        StringWriter err = new StringWriter();
        int exit = EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "calibrate", "--master", "local[1]",
                "--input", demo.resolve("data/questions.jsonl").toString(), "--model", demo.resolve("model").toString(),
                "--k", "4", "--output", tmp.resolve("bad").toString());
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("eas calibrate: --k must be in 1..3 for this model (4 layers): 4");
        spark = LocalSpark.session("local[2]", "calibrate-test");
    }
}
