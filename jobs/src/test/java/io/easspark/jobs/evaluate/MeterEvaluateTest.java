package io.easspark.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.testing.CliRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * evaluate on the METER demo through the command line: the report's accuracy by task equals the mean of the
 * per-row credits, and every credit is recomputed here from the row's own answer and gold ({@link VqaSoftScore},
 * NLVR2 label) — so a wrong join, a wrong score or a wrong aggregate fails.
 */
class MeterEvaluateTest {

    static final double EXACT = 1e-9;

    @Test
    void vqaSoftScoreAndNlvr2AccuracyByTask(@TempDir Path tmp) throws Exception {
        Path demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--family", "meter", "--output", demo.toString())).isZero();
        Path data = demo.resolve("data");
        Path vqaOut = tmp.resolve("eval-vqa");
        CliRun vqa = CliRun.of("evaluate", "--master", "local[2]", "--input", data.resolve("vqa.jsonl").toString(), "--image-root",
                data.toString(), "--model", demo.resolve("model").toString(), "--answer-col", "answers", "--plan", "none", "--plan", "paper",
                "--output", vqaOut.toString());
        assertThat(vqa.exit()).as(vqa.err()).isZero();
        Path nlvrOut = tmp.resolve("eval-nlvr2");
        CliRun nlvr = CliRun.of("evaluate", "--master", "local[2]", "--input", data.resolve("nlvr2.jsonl").toString(), "--image-root",
                data.toString(), "--model", demo.resolve("model").toString(), "--question-col", "statement", "--label-col", "label",
                "--output", nlvrOut.toString());
        assertThat(nlvr.exit()).as(nlvr.err()).isZero();
        assertThat(Files.readString(vqaOut.resolve("report.md"))).contains("vqa");
        assertThat(Files.readString(nlvrOut.resolve("report.md"))).contains("nlvr2");

        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(vqaOut.resolve("results.parquet").toString()).collectAsList();
            assertThat(rows).hasSize(2 * 12); // two plans x 12 labelled rows
            List<Row> answers = spark.read().json(data.resolve("vqa.jsonl").toString()).collectAsList();
            for (Row r : rows) {
                Row in = answers.stream().filter(a -> a.getAs("id").equals(r.getAs("id"))).findFirst().orElseThrow();
                List<String> gold = in.getList(in.fieldIndex("answers"));
                double want = r.getAs("status").equals("ok") ? VqaSoftScore.accuracy(r.getAs("predicted"), gold) : 0;
                assertThat((Double) r.getAs("credit")).as((String) r.getAs("id")).isCloseTo(want, within(EXACT));
            }
            assertThat(rows.stream().filter(r -> r.getAs("id").equals("vqa001")).map(r -> (String) r.getAs("status")))
                    .containsOnly("image_missing");
            for (String plan : rows.stream().map(r -> (String) r.<String>getAs("plan")).distinct().toList()) {
                double mean = rows.stream().filter(r -> r.getAs("plan").equals(plan)).mapToDouble(r -> r.<Double>getAs("credit")).average()
                        .orElseThrow();
                assertThat(vqa.out()).contains(String.format(java.util.Locale.ROOT, "plan %-12s accuracy %6.2f%%", plan, 100 * mean));
            }
            List<Row> nl = spark.read().parquet(nlvrOut.resolve("results.parquet").toString()).collectAsList();
            assertThat(nl).hasSize(6);
            for (Row r : nl) {
                boolean right = r.getAs("status").equals("ok") && r.getAs("predicted").equals(r.<String>getAs("gold").toLowerCase());
                assertThat((Double) r.getAs("credit")).as((String) r.getAs("id")).isEqualTo(right ? 1.0 : 0.0);
            }
        } finally {
            spark.stop();
        }
    }
}
