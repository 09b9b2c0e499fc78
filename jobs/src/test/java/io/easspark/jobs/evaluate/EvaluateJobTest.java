package io.easspark.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.infer.InputSpec;
import io.easspark.jobs.spark.LocalSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Accuracy arithmetic on a hand-labelled table, ScienceQA categories, the report and charts; plans run on the demo. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluateJobTest {

    SparkSession spark;
    Path tmp;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("evaluate");
        spark = LocalSpark.session("local[2]", "evaluate-test");
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    static Accuracy.Cell cell(List<Accuracy.Cell> cells, String plan, String value) {
        return cells.stream().filter(c -> c.plan().equals(plan) && c.value().equals(value)).findFirst().orElseThrow();
    }

    @Test
    void accuracyByCategoryOnAHandLabelledTable() throws Exception {
        // six labelled rows: subject, grade, image path or none, hint or none
        Path labels = tmp.resolve("labels.jsonl");
        Files.write(labels, List.of(
                "{\"id\":\"1\",\"answer\":\"A\",\"subject\":\"natural science\",\"grade\":\"grade3\",\"image\":\"1.png\",\"context\":\"\"}",
                "{\"id\":\"2\",\"answer\":\"B\",\"subject\":\"natural science\",\"grade\":\"grade8\",\"image\":null,\"context\":\"a hint\"}",
                "{\"id\":\"3\",\"answer\":\"C\",\"subject\":\"social science\",\"grade\":\"grade12\",\"image\":\"3.png\",\"context\":\"hint\"}",
                "{\"id\":\"4\",\"answer\":\"a\",\"subject\":\"language science\",\"grade\":\"grade1\",\"image\":null,\"context\":null}",
                "{\"id\":\"5\",\"answer\":\"B\",\"subject\":\"social science\",\"grade\":\"grade6\",\"image\":null,\"context\":\" \"}",
                "{\"id\":\"6\",\"answer\":\"D\",\"subject\":\"language science\",\"grade\":\"grade7\",\"image\":\"6.png\",\"context\":null}"));
        // infer's output for two plans: p1 right on 1, 3, 4 (lower-case gold), unparsed on 5, image_missing on 6; p2 right on 2 only
        StructType schema = new StructType().add("id", DataTypes.StringType).add("answer_choice", DataTypes.StringType)
                .add("status", DataTypes.StringType).add("skip_plan", DataTypes.StringType);
        String answers = tmp.resolve("answers").toString();
        spark.createDataFrame(List.of(
                RowFactory.create("1", "A", "ok", "p1"), RowFactory.create("2", "C", "ok", "p1"), RowFactory.create("3", "C", "prompt_truncated", "p1"),
                RowFactory.create("4", "A", "ok", "p1"), RowFactory.create("5", null, "ok", "p1"), RowFactory.create("6", null, "image_missing", "p1"),
                RowFactory.create("1", "B", "ok", "p2"), RowFactory.create("2", "B", "ok", "p2"), RowFactory.create("3", "A", "ok", "p2"),
                RowFactory.create("4", "B", "ok", "p2"), RowFactory.create("5", "C", "ok", "p2")), schema) // p2 lacks row 6
                .write().parquet(answers);
        InputSpec in = InputSpec.of(labels.toString(), null, null, null, "id", "image", "question", "context", "options", "|",
                InputSpec.DEFAULT_MAX_IMAGE_BYTES);
        Path out = tmp.resolve("hand");
        EvaluateJob.Result r = EvaluateJob.run(spark, new EvaluateJob.Options(in, null, "answer", List.of(), answers, "subject", "grade",
                List.of(), out), new PrintWriter(new StringWriter()));

        Accuracy.Cell all1 = cell(r.cells(), "p1", "all");
        assertThat(all1.correct()).isEqualTo(3);
        assertThat(all1.total()).isEqualTo(6);
        assertThat(all1.unparsed()).isEqualTo(1); // row 5: answered, no letter
        assertThat(all1.unanswered()).isEqualTo(1); // row 6: image_missing
        assertThat(all1.percent()).isCloseTo(50.0, within(1e-9));
        Accuracy.Cell all2 = cell(r.cells(), "p2", "all");
        assertThat(all2.correct()).isEqualTo(1);
        assertThat(all2.total()).isEqualTo(6);
        assertThat(all2.unanswered()).isEqualTo(1); // row 6 is not in p2's answers at all
        // subjects: NAT = {1, 2}, SOC = {3, 5}, LAN = {4, 6}
        assertThat(cell(r.cells(), "p1", "NAT").correct()).isEqualTo(1);
        assertThat(cell(r.cells(), "p1", "NAT").total()).isEqualTo(2);
        assertThat(cell(r.cells(), "p1", "SOC").correct()).isEqualTo(1);
        assertThat(cell(r.cells(), "p1", "LAN").correct()).isEqualTo(1);
        // context: TXT = hint {2, 3}; IMG = image {1, 3, 6}; NO = {4, 5} (a blank hint is no hint)
        assertThat(cell(r.cells(), "p1", "TXT").total()).isEqualTo(2);
        assertThat(cell(r.cells(), "p1", "TXT").correct()).isEqualTo(1);
        assertThat(cell(r.cells(), "p1", "IMG").total()).isEqualTo(3);
        assertThat(cell(r.cells(), "p1", "IMG").correct()).isEqualTo(2);
        assertThat(cell(r.cells(), "p1", "NO").total()).isEqualTo(2);
        assertThat(cell(r.cells(), "p1", "NO").correct()).isEqualTo(1);
        // grades: G1-6 = {1, 4, 5}, G7-12 = {2, 3, 6}
        assertThat(cell(r.cells(), "p1", "G1-6").correct()).isEqualTo(2);
        assertThat(cell(r.cells(), "p1", "G1-6").total()).isEqualTo(3);
        assertThat(cell(r.cells(), "p2", "G7-12").correct()).isEqualTo(1);

        String md = Files.readString(r.report());
        assertThat(md).contains("| p1 | 50.00 | 50.00 | 50.00 | 50.00 | 50.00 | 66.67 | 50.00 | 66.67 | 33.33 | 6 | 1 | 1 |");
        assertThat(r.charts()).extracting(p -> p.getFileName().toString()).containsExactly("accuracy_by_category.png", "accuracy_vs_plan.png");
        for (Path png : r.charts()) {
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
            assertThat(head).startsWith(0x89, 'P', 'N', 'G');
            assertThat(Files.size(png)).isGreaterThan(5_000);
        }
        assertThat(spark.read().parquet(out.resolve("results.parquet").toString()).count()).isEqualTo(12);
    }

    @Test
    void evaluateRunsEachPlanThroughTheJobOnTheDemo() throws Exception {
        Path demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "12")).isZero();
        StringWriter console = new StringWriter();
        int exit = EasCli.run(new PrintWriter(console), new PrintWriter(new StringWriter()), "evaluate", "--master", "local[2]",
                "--input", demo.resolve("data/questions.jsonl").toString(), "--image-root", demo.resolve("data").toString(),
                "--model", demo.resolve("model").toString(), "--plan", "none", "--plan", "1,3", "--max-new-tokens", "4",
                "--progress-seconds", "0", "--output", tmp.resolve("demo-eval").toString());
        assertThat(exit).as(console.toString()).isZero();
        spark = LocalSpark.session("local[2]", "evaluate-test"); // the command stopped the session it shared
        assertThat(console.toString()).contains("evaluate: plan none (0 of 4 MHAs skipped)", "evaluate: plan 1,3 (2 of 4 MHAs skipped)",
                "NAT", "G1-6");
        assertThat(spark.read().parquet(tmp.resolve("demo-eval/results.parquet").toString()).groupBy("plan").count().count()).isEqualTo(2);
        assertThat(tmp.resolve("demo-eval/accuracy_vs_plan.png")).isNotEmptyFile();
        assertThat(Files.readString(tmp.resolve("demo-eval/report.md"))).contains("| none |", "| 1,3 |");
    }
}
