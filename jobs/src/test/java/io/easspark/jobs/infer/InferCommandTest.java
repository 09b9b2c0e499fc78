package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The README's job: demo, then infer through the real command line, every row accounted for. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferCommandTest {

    Path tmp;
    Path demo;

    @BeforeAll
    void demo() throws Exception {
        tmp = Files.createTempDirectory("infer-test");
        demo = tmp.resolve("demo");
        CliRun r = CliRun.of("demo", "--weights", "random", "--output", demo.toString(), "--rows", "24");
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
        for (int i = 0; i + 1 < extra.length; i += 2) {
            int at = args.indexOf(extra[i]);
            if (at >= 0 && extra[i].startsWith("--")) {
                args.set(at + 1, extra[i + 1]); // an override of one of the defaults above
            } else {
                args.addAll(List.of(extra[i], extra[i + 1]));
            }
        }
        if (extra.length % 2 == 1) {
            args.add(extra[extra.length - 1]);
        }
        return args.toArray(String[]::new);
    }

    @Test
    void everyInputRowComesOutOnceWithItsStatus() throws Exception {
        String output = tmp.resolve("answers").toString();
        CliRun r = CliRun.of(infer(output));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("infer: 24 rows in, 24 answered, 24 rows in", "image_missing     1", "empty_question    1", "ok                22", "preview");
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
                "status", "error", "prompt_tokens", "generated_tokens", "latency_ms", "model", "skip_plan", "score", "top_answers",
                "top_scores");
        // METER's classification columns stay empty on LaVIN rows
        assertThat(spark.read().parquet(output).where("score is not null or top_answers is not null or top_scores is not null").count())
                .isZero();
    }

    static Stream<Arguments> badArguments() {
        return Stream.of(
                Arguments.of(List.of("--batch-size", "0"), "--batch-size must be >= 1: 0"),
                Arguments.of(List.of("--max-new-tokens", "0"), "--max-new-tokens must be in 1.."),
                Arguments.of(List.of("--max-new-tokens", "100000"), "--max-new-tokens must be in 1.."),
                Arguments.of(List.of("--reparam", "foo"), "unknown reparam mode 'foo'"),
                Arguments.of(List.of("--prompt-format", "xml"), "unknown prompt format 'xml'"),
                Arguments.of(List.of("--device", "tpu"), "unknown --device tpu"),
                Arguments.of(List.of("--device", "gpu"), "--device gpu, but this Spark application requests no GPUs"),
                Arguments.of(List.of("--partitions", "-1"), "--partitions must be >= 0"),
                Arguments.of(List.of("--progress-seconds", "-1"), "--progress-seconds must be >= 0"),
                Arguments.of(List.of("--partition-by", "nosuch"), "--partition-by (an output column or an input column) nosuch: no such column"),
                Arguments.of(List.of("--image-col", "options"), "--image-col options must be binary (image bytes) or a string (path)"),
                Arguments.of(List.of("--options-col", "nope"), "--options-col nope: no such column"),
                Arguments.of(List.of("--skip-plan", "1-x"), "skip plan"),
                Arguments.of(List.of("--input", "/nonexistent/q.jsonl"), "--input /nonexistent/q.jsonl does not exist"),
                Arguments.of(List.of("--input", "/nonexistent/q.txt"), "cannot tell the format of --input"),
                Arguments.of(List.of("--batch-size", "many"), "eas: Invalid value for option '--batch-size'"),
                Arguments.of(List.of("--kv-budget-mib", "-1"), "--kv-budget-mib must be >= 0"),
                Arguments.of(List.of("--cross-task-batching", "maybe"), "--cross-task-batching must be auto, on or off: maybe"));
    }

    @ParameterizedTest
    @MethodSource("badArguments")
    void eachBadArgumentIsOneLineAndExitTwo(List<String> extra, String reason) {
        CliRun r = CliRun.of(infer(tmp.resolve("bad").toString(), extra.toArray(String[]::new)));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        String first = r.err().strip().lines().findFirst().orElse("");
        assertThat(first).contains(reason);
        // the reason fits on one line; picocli's own usage errors add one hint line ("try 'eas infer --help'")
        assertThat(r.err().strip().lines().count()).as(r.err()).isLessThanOrEqualTo(first.startsWith("eas: ") ? 2 : 1);
        assertThat(Path.of(tmp.resolve("bad").toString())).doesNotExist();
    }

    @Test
    void aKvBudgetSetsTheBatchSizeFromThePlansKeptLayers() {
        CliRun r = CliRun.of(infer(tmp.resolve("kv").toString(), "--kv-budget-mib", "2", "--preview", "0"));
        assertThat(r.exit()).as(r.err()).isZero();
        // demo: dim 64, max_seq_len 256, plan 1,3 keeps 2 of 4 layers: 2 x 2 x 256 x 64 x 4 bytes = 0.25 MiB per row
        assertThat(r.out()).contains("batch size 8 from --kv-budget-mib 2 (KV cache 0.25 MiB per row at 256 positions, 2 of 4 layers cache)",
                "infer: 24 rows in, 24 answered");
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
