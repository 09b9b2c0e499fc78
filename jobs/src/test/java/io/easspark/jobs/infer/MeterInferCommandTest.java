package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.testing.CliRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** infer's METER flags on the real command line reach the run: --task, --top-k, --skip-plan, --index-mapping. */
class MeterInferCommandTest {

    @Test
    void meterFlagsShapeTheOutput(@TempDir Path tmp) throws Exception {
        Path demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--family", "meter", "--output", demo.toString())).isZero();
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("infer", "--master", "local[2]", "--model", demo.resolve("model").toString(), "--input",
                demo.resolve("data/vqa.jsonl").toString(), "--image-root", demo.resolve("data").toString(), "--task", "vqa",
                "--top-k", "2", "--skip-plan", "18-19", "--index-mapping", "original", "--max-batch-tokens", "1000",
                "--output", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("infer: answering 12 rows with METER model").contains("task vqa");
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
            assertThat(rows).hasSize(12);
            for (Row row : rows) {
                assertThat((String) row.getAs("skip_plan")).isEqualTo("18,19 (original mapping)");
                if (row.getAs("status").equals("ok")) {
                    assertThat(row.getList(row.fieldIndex("top_answers"))).hasSize(2).first().isEqualTo(row.getAs("answer_text"));
                    assertThat(row.<Double>getList(row.fieldIndex("top_scores")).get(0)).isGreaterThanOrEqualTo(
                            row.<Double>getList(row.fieldIndex("top_scores")).get(1));
                }
            }
        } finally {
            spark.stop();
        }
    }
}
