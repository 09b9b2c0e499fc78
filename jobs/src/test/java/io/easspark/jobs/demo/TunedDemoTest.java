package io.easspark.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.jobs.scienceqa.ScienceQaGenerator;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eas demo} (tuned, the default) writes the committed model, which validates, and the generated benchmark's
 * test problems as the job's rows: the same questions, options, gold letters and pictures that {@code gen-scienceqa}
 * writes for its test split, plus two bad rows without a gold letter. Accuracy: DemoAccuracyTest.
 */
class TunedDemoTest {

    @TempDir
    Path tmp;

    @Test
    void writesTheTunedModelAndTheHeldOutTestProblems() throws Exception {
        Path demo = tmp.resolve("demo");
        List<String> scratchBefore = scratchCopies();
        CliRun r = CliRun.of("demo", "--output", demo.toString(), "--rows", "40");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("EAS-tuned model").contains("40 test rows");
        NativeModelDirectory.validate(demo.resolve("model").toString(), new org.apache.hadoop.conf.Configuration());
        for (String f : TunedDemo.MODEL_FILES) {
            try (var in = TunedDemo.class.getResourceAsStream(TunedDemo.RESOURCES + f)) {
                assertThat(Files.readAllBytes(demo.resolve("model").resolve(f))).as(f).isEqualTo(in.readAllBytes());
            }
        }
        assertThat(Files.size(demo.resolve("model/model.safetensors"))).as("the issue's size limit").isLessThanOrEqualTo(4L << 20);

        Path sqa = tmp.resolve("sqa");
        ScienceQaGenerator.write(sqa, TunedDemo.BENCHMARK, java.util.Set.of("test")); // equal to the whole write: ScienceQaGeneratorTest
        JsonObject problems = JsonParser.parseString(Files.readString(sqa.resolve("problems.json"))).getAsJsonObject();
        List<String> test = JsonParser.parseString(Files.readString(sqa.resolve("pid_splits.json"))).getAsJsonObject()
                .getAsJsonArray("test").asList().stream().map(e -> e.getAsString()).toList();
        List<String> lines = Files.readAllLines(demo.resolve("data/questions.jsonl"));
        assertThat(lines).hasSize(42);
        for (int i = 0; i < 40; i++) {
            JsonObject row = JsonParser.parseString(lines.get(i)).getAsJsonObject();
            JsonObject p = problems.getAsJsonObject(test.get(i));
            assertThat(row.get("id").getAsString()).isEqualTo(test.get(i));
            assertThat(row.get("question")).isEqualTo(p.get("question"));
            assertThat(row.get("context")).isEqualTo(p.get("hint"));
            assertThat(row.get("options")).isEqualTo(p.get("choices"));
            assertThat(row.get("answer").getAsString()).isEqualTo(String.valueOf((char) ('A' + p.get("answer").getAsInt())));
            if (p.get("image").isJsonNull()) {
                assertThat(row.get("image").isJsonNull()).isTrue();
            } else {
                byte[] written = Files.readAllBytes(demo.resolve("data").resolve(row.get("image").getAsString()));
                assertThat(written).isEqualTo(Files.readAllBytes(sqa.resolve("images/test").resolve(test.get(i)).resolve("image.png")));
            }
        }
        for (String bad : lines.subList(40, 42)) {
            assertThat(JsonParser.parseString(bad).getAsJsonObject().has("answer")).as(bad).isFalse();
        }
        // only model/ and data/ were written, and the scratch copy of the benchmark (in java.io.tmpdir) is gone
        try (var s = Files.list(demo)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("data", "model");
        }
        assertThat(scratchCopies()).isEqualTo(scratchBefore);
    }

    private static List<String> scratchCopies() throws java.io.IOException {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("eas-demo-scienceqa")).sorted().toList();
        }
    }

    @Test
    void refusesRowCountsOutsideTheTestSplitBeforeWritingAnything() {
        for (String rows : List.of("0", "1001")) {
            Path out = tmp.resolve("rows-" + rows);
            CliRun r = CliRun.of("demo", "--output", out.toString(), "--rows", rows);
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err()).contains("--rows must be in 1..1000");
            assertThat(out).doesNotExist();
        }
        CliRun r = CliRun.of("demo", "--weights", "trained", "--output", tmp.resolve("w").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--weights must be tuned or random");
    }
}
