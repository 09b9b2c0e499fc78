package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.spark.LocalSpark;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory with corrupt weights, a broken tokenizer or an empty skip plan is refused on the driver: exit 2,
 * one line, no Spark job started, no output folder. Before, each failed inside tasks ("Job aborted due to stage
 * failure ... ModelLoadException", exit 1) or with a NullPointerException, after the input had been read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrokenModelTest {

    SparkSession spark;
    Path questions;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        spark = LocalSpark.session("local[2]", "broken-model-test"); // the commands below get this same session
        questions = tmp.resolve("questions.jsonl");
        Files.writeString(questions, "{\"id\":\"q1\",\"question\":\"Which shape?\",\"image\":\"\",\"context\":\"\",\"options\":\"circle|square\"}\n",
                StandardCharsets.UTF_8);
    }

    @AfterAll
    void stop() {
        spark.stop();
    }

    int jobsSoFar() {
        return new JavaSparkContext(spark.sparkContext()).statusTracker().getJobIdsForGroup(null).length;
    }

    CliRun infer(Path tmp, Consumer<Path> breakIt) throws Exception {
        Path model = tmp.resolve("model");
        DemoModel.write(model, 3);
        breakIt.accept(model);
        int jobsBefore = jobsSoFar();
        CliRun r = CliRun.of("infer", "--master", "local[2]", "--input", questions.toString(), "--model", model.toUri().toString(),
                "--output", tmp.resolve("answers").toString(), "--max-new-tokens", "2");
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).doesNotContain("Job aborted", "Exception", "\tat ");
        assertThat(jobsSoFar()).as("Spark jobs started").isEqualTo(jobsBefore);
        assertThat(tmp.resolve("answers")).doesNotExist();
        return r;
    }

    static void write(Path p, byte[] bytes) {
        try {
            Files.write(p, bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void corruptWeights(@TempDir Path tmp) throws Exception {
        CliRun r = infer(tmp, model -> {
            try (RandomAccessFile f = new RandomAccessFile(model.resolve(NativeModelWriter.WEIGHTS).toFile(), "rw")) {
                f.setLength(f.length() / 2); // a copy cut short: the header promises bytes the file no longer has
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(r.err()).startsWith("eas infer: ").contains("model.safetensors");
    }

    @Test
    void brokenTokenizer(@TempDir Path tmp) throws Exception {
        CliRun r = infer(tmp, model -> {
            try {
                Path tok = model.resolve(NativeModelWriter.TOKENIZER);
                byte[] good = Files.readAllBytes(tok);
                byte[] bad = Arrays.copyOf("this is no tokenizer".getBytes(StandardCharsets.US_ASCII), good.length);
                write(tok, bad);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(r.err()).startsWith("eas infer: ").contains("tokenizer.model: not a SentencePiece model");
    }

    @Test
    void emptySkipPlanFile(@TempDir Path tmp) throws Exception {
        CliRun r = infer(tmp, model -> write(model.resolve(NativeModelDirectory.SKIP_PLAN), "{}".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.err()).startsWith("eas infer: ").contains("skip_plan.json: expected {\"plan\": \"19,21-31\"}");
    }
}
