package io.easspark.jobs.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Spark's ErrorIfExists convention on every command that writes: an --output that is, holds or lies inside what the
 * command reads, or that is a file or an existing folder, is refused with one line and exit 2, and nothing it names
 * is touched; --overwrite replaces only a finished output of the same command.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutputSafetyTest {

    Path tmp;
    Path demo;
    Path input;
    long inputBytes;
    long images;

    @BeforeAll
    void demo() throws Exception {
        tmp = Files.createTempDirectory("output-safety");
        demo = tmp.resolve("demo");
        CliRun r = CliRun.of("demo", "--weights", "random", "--output", demo.toString(), "--rows", "6");
        assertThat(r.exit()).as(r.err()).isZero();
        input = demo.resolve("data/questions.jsonl");
        inputBytes = Files.size(input);
        images = countImages();
    }

    @AfterAll
    void stopSpark() {
        SparkSession.getActiveSession().foreach(s -> {
            s.stop();
            return null;
        });
    }

    long countImages() throws Exception {
        try (Stream<Path> s = Files.list(demo.resolve("data/images"))) {
            return s.count();
        }
    }

    String[] infer(String output, String... extra) {
        List<String> args = new ArrayList<>(List.of("infer", "--master", "local[1]", "--input", input.toString(), "--image-root",
                demo.resolve("data").toString(), "--model", demo.resolve("model").toString(), "--output", output,
                "--max-new-tokens", "2", "--batch-size", "4", "--preview", "0"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** Refused with exit 2 and one line containing {@code reason}; the demo's data and model are untouched. */
    void refused(CliRun r, String reason) throws Exception {
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().strip()).contains(reason).doesNotContain("\n");
        assertThat(r.out()).doesNotContain("answering");
        assertThat(Files.size(input)).isEqualTo(inputBytes);
        assertThat(countImages()).isEqualTo(images);
        assertThat(demo.resolve("model/config.json")).exists();
    }

    @Test
    void inferRefusesAnOutputThatIsHoldsOrLiesInsideWhatItReads() throws Exception {
        refused(CliRun.of(infer(demo.resolve("data").toString())), "contains --input");
        refused(CliRun.of(infer(input.toString())), "is --input");
        refused(CliRun.of(infer(demo.toString())), "contains --input");
        refused(CliRun.of(infer(demo.resolve("model/answers").toString())), "lies inside --model");
        refused(CliRun.of(infer(demo.resolve("data/images/answers").toString())), "lies inside --image-root");
        Path plan = Files.writeString(tmp.resolve("skip_plan.json"), "{\"plan\": \"1\"}");
        refused(CliRun.of(infer(plan.toString(), "--skip-plan", plan.toString())), "is --skip-plan");
        // a symlink does not hide the data folder, nor does a path with ..
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-data"), demo.resolve("data"));
        refused(CliRun.of(infer(link.toString())), "contains --input");
        refused(CliRun.of(infer(demo.resolve("model/../data").toString())), "contains --input");
        refused(CliRun.of(infer(demo.resolve("data").toUri().toString())), "contains --input");
    }

    @Test
    void inferRefusesAFileAndAnExistingFolderUnlessOverwriteFindsAFinishedOutput() throws Exception {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "keep me");
        refused(CliRun.of(infer(file.toString())), "is an existing file");
        assertThat(Files.readString(file)).isEqualTo("keep me");
        refused(CliRun.of(infer(file.toString(), "--overwrite")), "is an existing file");

        Path other = Files.createDirectories(tmp.resolve("someone-elses"));
        Files.writeString(other.resolve("report.txt"), "keep me");
        refused(CliRun.of(infer(other.toString())), "already exists: give --overwrite");
        refused(CliRun.of(infer(other.toString(), "--overwrite")), "is neither");
        assertThat(Files.readString(other.resolve("report.txt"))).isEqualTo("keep me");

        String answers = tmp.resolve("answers").toString();
        CliRun first = CliRun.of(infer(answers));
        assertThat(first.exit()).as(first.err()).isZero();
        refused(CliRun.of(infer(answers)), "already exists: give --overwrite");
        CliRun again = CliRun.of(infer(answers, "--overwrite"));
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).contains("--overwrite: replacing the finished output", "6 rows in, 6 answered, 6 rows in");
        refused(CliRun.of(infer(answers, "--overwrite", "--resume")), "contradict");
    }

    @Test
    void evaluateCalibrateConvertAndDemoRefuseTheSameWay() throws Exception {
        refused(CliRun.of("evaluate", "--master", "local[1]", "--input", input.toString(), "--image-root", demo.resolve("data").toString(),
                "--model", demo.resolve("model").toString(), "--output", demo.resolve("data").toString()), "contains --input");
        refused(CliRun.of("calibrate", "--master", "local[1]", "--input", input.toString(), "--model", demo.resolve("model").toString(),
                "--k", "1", "--output", demo.resolve("model").toString()), "is --model");
        refused(CliRun.of("convert", "--llama", demo.resolve("model").toString(), "--adapter", demo.resolve("model/model.safetensors").toString(),
                "--output", demo.toString()), "contains --llama");
        Path other = Files.createDirectories(tmp.resolve("not-a-demo"));
        Files.writeString(other.resolve("thesis.tex"), "keep me");
        refused(CliRun.of("demo", "--weights", "random", "--output", other.toString(), "--rows", "3"), "already exists: give --overwrite");
        refused(CliRun.of("demo", "--weights", "random", "--output", other.toString(), "--rows", "3", "--overwrite"), "is neither");
        refused(CliRun.of("gen-scienceqa", "--output", other.toString(), "--train", "3", "--val", "1", "--test", "1"),
                "already exists: give --overwrite");
        refused(CliRun.of("gen-scienceqa", "--output", other.toString(), "--train", "3", "--val", "1", "--test", "1", "--overwrite"),
                "is neither");
        assertThat(Files.readString(other.resolve("thesis.tex"))).isEqualTo("keep me");

        Path again = tmp.resolve("demo-again");
        assertThat(CliRun.of("demo", "--weights", "random", "--output", again.toString(), "--rows", "3").exit()).isZero();
        refused(CliRun.of("demo", "--weights", "random", "--output", again.toString(), "--rows", "3"), "already exists: give --overwrite");
        CliRun replaced = CliRun.of("demo", "--weights", "random", "--output", again.toString(), "--rows", "4", "--overwrite");
        assertThat(replaced.exit()).as(replaced.err()).isZero();
        assertThat(Files.readAllLines(again.resolve("data/questions.jsonl"))).hasSize(4);
    }
}
