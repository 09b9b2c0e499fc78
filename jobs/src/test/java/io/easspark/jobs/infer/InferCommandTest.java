package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The README's job: demo, then infer through the real command line, every row accounted for. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferCommandTest {

    Path tmp;
    Path demo;

    @BeforeAll
    void demo() throws Exception {
        tmp = Files.createTempDirectory("infer-test");
        demo = tmp.resolve("demo");
        CliRun r = CliRun.of("demo", "--output", demo.toString(), "--rows", "24");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @AfterAll
    void stopSpark() {
        SparkSession.getActiveSession().foreach(s -> {
            s.stop();
            return null;
        });
    }

    String[] infer(String output, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("infer", "--master", "local[2]", "--input",
                demo.resolve("data/questions.jsonl").toString(), "--image-root", demo.resolve("data").toString(),
                "--model", demo.resolve("model").toUri().toString(), "--output", output, "--max-new-tokens", "6",
                "--batch-size", "4"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void everyInputRowComesOutOnceWithItsStatus() throws Exception {
        String output = tmp.resolve("answers").toString();
        CliRun r = CliRun.of(infer(output));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("infer: 24 rows in, 24 rows out", "image_missing     1", "empty_question    1", "ok                22", "preview");
        SparkSession spark = io.easspark.jobs.spark.LocalSpark.session("local[1]", "infer-test-reader");
        List<Row> rows = spark.read().parquet(output).collectAsList();
        List<String> inputIds = Files.readAllLines(demo.resolve("data/questions.jsonl")).stream()
                .map(l -> l.substring(l.indexOf("\"id\":\"") + 6, l.indexOf('"', l.indexOf("\"id\":\"") + 6))).toList();
        assertThat(rows.stream().map(x -> x.<String>getAs("id")).toList()).containsExactlyInAnyOrderElementsOf(inputIds);
        Map<String, Row> byId = rows.stream().collect(Collectors.toMap(x -> x.getAs("id"), x -> x));
        assertThat(byId.get("q0001").<String>getAs("status")).isEqualTo("image_missing");
        assertThat(byId.get("q0001").<String>getAs("error")).contains("0001.png does not exist");
        assertThat(byId.get("q0002").<String>getAs("status")).isEqualTo("empty_question");
        Row ok = byId.get("q0000");
        assertThat(ok.<String>getAs("status")).isEqualTo("ok");
        assertThat(ok.<Integer>getAs("generated_tokens")).isBetween(1, 6);
        assertThat(ok.<String>getAs("skip_plan")).isEqualTo("1,3");
        assertThat(spark.read().parquet(output).schema().fieldNames()).containsExactly("id", "answer_text", "answer_choice",
                "status", "error", "prompt_tokens", "generated_tokens", "latency_ms", "model", "skip_plan");
    }

    @Test
    void badArgumentsFailBeforeAnyTaskWithOneLine() throws Exception {
        CliRun noCol = CliRun.of(infer(tmp.resolve("x").toString(), "--question-col", "q"));
        assertThat(noCol.exit()).isEqualTo(2);
        assertThat(noCol.err().strip()).startsWith("eas infer: --question-col q: no such column; the input has [");
        CliRun noModel = CliRun.of("infer", "--master", "local[2]", "--input", demo.resolve("data/questions.jsonl").toString(),
                "--model", tmp.resolve("nope").toString(), "--output", tmp.resolve("y").toString());
        assertThat(noModel.exit()).isEqualTo(2);
        assertThat(noModel.err()).contains("--model: model directory").contains("does not exist");
        CliRun badPlan = CliRun.of(infer(tmp.resolve("z").toString(), "--skip-plan", "9"));
        assertThat(badPlan.exit()).isEqualTo(2);
        assertThat(badPlan.err()).contains("skip plan names layer 9 but the model has layers 0-3");
        java.nio.file.Path noIds = tmp.resolve("no-ids.jsonl");
        Files.writeString(noIds, "{\"id\":\"a\",\"question\":\"Q?\"}\n{\"question\":\"No id?\"}\n");
        CliRun nullIds = CliRun.of("infer", "--master", "local[2]", "--input", noIds.toString(), "--image-col", "",
                "--context-col", "", "--options-col", "", "--model", demo.resolve("model").toString(), "--output", tmp.resolve("v").toString());
        assertThat(nullIds.exit()).isEqualTo(2);
        assertThat(nullIds.err().strip()).isEqualTo("eas infer: --id-col id is null in 1 of 2 input rows: every row needs an id "
                + "so its answer can be found (and --resume can skip it)");
        CliRun badFormat = CliRun.of(infer(tmp.resolve("w").toString(), "--input-format", "xml"));
        assertThat(badFormat.exit()).isEqualTo(2);
        assertThat(badFormat.err()).contains("unknown --input-format xml");
    }
}
