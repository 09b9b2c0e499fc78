package io.easspark.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed EAS-tuned demo model through the real job: {@code eas demo} writes it with the generated benchmark's
 * 1,000 held-out test problems, {@code eas evaluate} answers them (Spark, batched greedy generation, the letter parsed
 * from the text) with no MHA skipped, with the model's own plan and with a random plan of the same k. The thresholds
 * sit under the values measured when the model was committed (docs/TUNING.md, "The shipped demo model"); a change
 * that breaks the engine, the prompt, the tokenizer or the plan's meaning drops the accuracy to chance and fails here.
 */
class DemoAccuracyTest {

    // Measured on the committed model (runs 27-38, 2026-12-04, 2 cores; `eas evaluate` on these 1,002 rows, the two bad
    // ones counted wrong): no skip 62.3% (IMG 62.7, TXT 35.0, NO 97.2), its plan 3,5 62.0% (0.3 points under: the
    // issue's "within 2 points" with a third of the MHAs skipped), the other plans 1,5 36.4% and 0-1 8.2%. Chance over
    // these rows' option counts is 35.3% (IMG 38.2, TXT 33.9, NO 32.2). The thresholds sit 3-4 points under the measured
    // values; the plan may cost at most 3 points (2 as the target, plus a few rows that another CPU's kernels
    // may round the other way). The issue's >= 90% with no skip is NOT reached (docs/TUNING.md).
    static final double NONE_ALL = 59.0;
    static final double NONE_IMG = 59.0;
    static final double NONE_TXT = 31.0;
    static final double NONE_NO = 93.0;
    static final double PLAN_ALL = 58.0;
    static final double PLAN_COST = 3.0;

    @TempDir
    Path tmp;

    @Test
    void theTunedDemoAnswersItsHeldOutTestSplitWithAndWithoutItsPlan() throws Exception {
        Path demo = tmp.resolve("demo");
        StringWriter demoOut = new StringWriter();
        assertThat(EasCli.run(new PrintWriter(demoOut), new PrintWriter(new StringWriter()), "demo", "--output", demo.toString())).isZero();
        assertThat(Files.readAllLines(demo.resolve("data/questions.jsonl"))).hasSize(1002);
        String planText = JsonParser.parseString(Files.readString(demo.resolve("model/skip_plan.json"))).getAsJsonObject().get("plan").getAsString();
        SkipPlan plan = SkipPlan.parse(planText, 6);
        assertThat(plan.skippedCount()).as("the issue asks for at least a third of the MHAs skipped").isGreaterThanOrEqualTo(2);
        String random = randomPlanOfTheSameK(plan);

        StringWriter console = new StringWriter();
        Path eval = tmp.resolve("eval");
        int exit = EasCli.run(new PrintWriter(console), new PrintWriter(new StringWriter()), "evaluate", "--master", "local[2]",
                "--input", demo.resolve("data/questions.jsonl").toString(), "--image-root", demo.resolve("data").toString(),
                "--model", demo.resolve("model").toString(), "--plan", "none", "--plan", planText, "--plan", random,
                "--batch-size", "32", "--progress-seconds", "0", "--output", eval.toString());
        assertThat(exit).as(console.toString()).isZero();

        SparkSession spark = LocalSpark.session("local[2]", "demo-accuracy-test");
        try {
            Map<String, Double> acc = accuracy(spark, eval.resolve("results.parquet"));
            String report = "measured: " + acc + "\n" + console;
            assertThat(acc.get("none/all")).as(report).isGreaterThanOrEqualTo(NONE_ALL);
            assertThat(acc.get("none/IMG")).as(report).isGreaterThanOrEqualTo(NONE_IMG);
            assertThat(acc.get("none/TXT")).as(report).isGreaterThanOrEqualTo(NONE_TXT);
            assertThat(acc.get("none/NO")).as(report).isGreaterThanOrEqualTo(NONE_NO);
            assertThat(acc.get(plan + "/all")).as(report).isGreaterThanOrEqualTo(PLAN_ALL);
            // EAS's claim on this model: a third of the MHAs skipped at (nearly) the unskipped accuracy
            assertThat(acc.get(plan + "/all")).as(report).isGreaterThanOrEqualTo(acc.get("none/all") - PLAN_COST);
            // the search's plan beats a random one of the same k: the choice of layers matters
            assertThat(acc.get(plan + "/all")).as(report).isGreaterThan(acc.get(random + "/all"));
        } finally {
            spark.stop();
        }
    }

    /** A seeded draw of k of the 6 layers that is not the tuned plan. */
    static String randomPlanOfTheSameK(SkipPlan plan) {
        java.util.Random r = new java.util.Random(14);
        while (true) {
            java.util.List<Integer> layers = new java.util.ArrayList<>(java.util.List.of(0, 1, 2, 3, 4, 5));
            java.util.Collections.shuffle(layers, r);
            java.util.List<Integer> pick = new java.util.ArrayList<>(layers.subList(0, plan.skippedCount()));
            java.util.Collections.sort(pick);
            StringBuilder s = new StringBuilder();
            pick.forEach(l -> s.append(s.length() == 0 ? "" : ",").append(l));
            SkipPlan p = SkipPlan.parse(s.toString(), 6);
            if (!p.equals(plan)) {
                return p.toString();
            }
        }
    }

    /** Percent correct per plan, overall and per context category (TXT, IMG, NO), over the rows with a gold letter. */
    private static Map<String, Double> accuracy(SparkSession spark, Path results) {
        spark.read().parquet(results.toString()).createOrReplaceTempView("results");
        Map<String, Double> out = new HashMap<>();
        for (Row r : spark.sql("SELECT plan, 100 * avg(CAST(correct AS DOUBLE)) FROM results WHERE gold IS NOT NULL GROUP BY plan").collectAsList()) {
            out.put(r.getString(0) + "/all", r.getDouble(1));
        }
        for (Row r : spark.sql("SELECT plan, c.value, 100 * avg(CAST(correct AS DOUBLE)) FROM results"
                + " LATERAL VIEW explode(categories) t AS c WHERE gold IS NOT NULL AND c.category = 'context' GROUP BY plan, c.value").collectAsList()) {
            out.put(r.getString(0) + "/" + r.getString(1), r.getDouble(2));
        }
        return out;
    }
}
