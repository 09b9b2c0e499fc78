package io.easspark.jobs.scienceqa;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.testing.CliRun;
import io.easspark.jobs.spark.LocalSpark;
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

/** --input-format scienceqa: a generated layout feeds infer and evaluate through the real command line. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScienceQaInputTest {

    Path tmp;
    Path data;
    Path demo;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("scienceqa");
        data = tmp.resolve("sqa");
        CliRun gen = CliRun.of("gen-scienceqa", "--output", data.toString(), "--seed", "2", "--train", "30", "--val", "10", "--test", "24");
        assertThat(gen.exit()).as(gen.err()).isZero();
        assertThat(gen.out()).contains("wrote 64 problems");
        demo = tmp.resolve("demo");
        assertThat(CliRun.of("demo", "--weights", "random", "--output", demo.toString(), "--rows", "3").exit()).isZero();
    }

    /** The commands stop their session when done, so each check gets (or makes) its own. */
    static SparkSession spark() {
        return LocalSpark.session("local[2]", "scienceqa-test");
    }

    @AfterAll
    void tearDown() {
        SparkSession.getActiveSession().foreach(s -> {
            s.stop();
            return null;
        });
    }

    @Test
    void inferAnswersEverySplitRowWithItsImage() throws Exception {
        Path out = tmp.resolve("answers");
        CliRun r = CliRun.of("infer", "--input", data.toString(), "--input-format", "scienceqa", "--split", "val",
                "--model", demo.resolve("model").toString(), "--max-new-tokens", "2", "--progress-seconds", "0", "--preview", "0",
                "--output", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        List<Row> rows = spark().read().parquet(out.toString()).select("id", "status").collectAsList();
        com.google.gson.JsonObject splits = com.google.gson.JsonParser.parseString(Files.readString(data.resolve("pid_splits.json"))).getAsJsonObject();
        List<String> val = splits.getAsJsonArray("val").asList().stream().map(e -> e.getAsString()).sorted().toList();
        assertThat(rows.stream().map(x -> x.getString(0)).sorted().toList()).isEqualTo(val);
        // every image path resolved (IMG rows are ok, not image_missing)
        assertThat(rows).allSatisfy(x -> assertThat(x.getString(1)).isEqualTo("ok"));
        // the layout carries gold letters: infer ends with the accuracy on them, counted here independently
        List<Row> joined = spark().read().parquet(out.toString()).select("id", "answer_choice").collectAsList();
        com.google.gson.JsonObject problems = com.google.gson.JsonParser.parseString(Files.readString(data.resolve("problems.json"))).getAsJsonObject();
        long correct = joined.stream().filter(x -> !x.isNullAt(1) && x.getString(1).equals(
                String.valueOf((char) ('A' + problems.getAsJsonObject(x.getString(0)).get("answer").getAsInt())))).count();
        assertThat(r.out()).contains(String.format(java.util.Locale.ROOT, "infer: accuracy %.1f%% (%d of %d rows with a gold answer",
                100.0 * correct / val.size(), correct, val.size()));
    }

    @Test
    void evaluateReportsScienceQaCategories() throws Exception {
        Path out = tmp.resolve("eval");
        CliRun r = CliRun.of("evaluate", "--input", data.toString(), "--input-format", "scienceqa", "--split", "test",
                "--model", demo.resolve("model").toString(), "--plan", "none", "--max-new-tokens", "2", "--progress-seconds", "0",
                "--output", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Map<String, Long> totals = spark().read().parquet(out.resolve("results.parquet").toString())
                .selectExpr("explode(categories) AS c").groupBy("c.value").count().collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getString(0), x -> x.getLong(1)));
        assertThat(totals.keySet()).contains("IMG", "TXT", "NO", "NAT");
        assertThat(totals.get("IMG") + totals.get("TXT") + totals.get("NO")).isEqualTo(24);
    }

    @Test
    void relativeImagePathsUnderImageRoot() {
        var rows = ScienceQaInput.read(spark(), data.toString(), "train", data.toString()).collectAsList();
        assertThat(rows).hasSize(30);
        Row img = rows.stream().filter(x -> !x.isNullAt(x.fieldIndex("image"))).findFirst().orElseThrow();
        assertThat(img.getString(img.fieldIndex("image"))).isEqualTo("images/train/" + img.getString(0) + "/image.png");
        assertThat(img.getString(img.fieldIndex("answer"))).matches("[A-E]");
        assertThat(img.getList(img.fieldIndex("options"))).hasSizeBetween(2, 5);
    }

    @Test
    void badSplitAndMissingLayoutAreOneLine() {
        CliRun split = CliRun.of("infer", "--input", data.toString(), "--input-format", "scienceqa", "--split", "dev",
                "--model", demo.resolve("model").toString(), "--output", tmp.resolve("x").toString());
        assertThat(split.exit()).isEqualTo(2);
        assertThat(split.err()).contains("--split dev", "[train, val, test, trainval]");
        CliRun missing = CliRun.of("infer", "--input", tmp.resolve("nowhere").toString(), "--input-format", "scienceqa",
                "--model", demo.resolve("model").toString(), "--output", tmp.resolve("y").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no pid_splits.json");
        CliRun wrong = CliRun.of("infer", "--input", data.toString(), "--split", "test",
                "--model", demo.resolve("model").toString(), "--output", tmp.resolve("z").toString());
        assertThat(wrong.exit()).isEqualTo(2);
        assertThat(wrong.err()).contains("--split test needs --input-format scienceqa");
    }
}
