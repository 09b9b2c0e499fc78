package io.easspark.jobs.tune;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eas tune} end to end at toy size (a few steps of every stage on a small generated benchmark): it writes a
 * native model directory that validates, with the search's plan, and a report with the k = 0..L table; it refuses to
 * write over its output. Accuracy at full size is asserted on the committed model (DemoAccuracyTest).
 */
class TuneCommandTest {

    @TempDir
    Path tmp;

    @Test
    void writesAValidModelWithThePlanAndAReport() throws Exception {
        Path data = tmp.resolve("sqa");
        assertThat(CliRun.of("gen-scienceqa", "--output", data.toString(), "--seed", "3", "--train", "40", "--val", "16", "--test", "16").exit())
                .isZero();
        Path out = tmp.resolve("tuned");
        String[] args = {"tune", "--data", data.toString(), "--output", out.toString(), "--binding-steps", "2", "--base-steps", "4", "--adapter-steps", "4",
            "--search-every", "2", "--finetune-steps", "3", "--batch", "8", "--eval-every", "2", "--eval-rows", "8", "--skip", "2",
            "--captions", "--dense-binding", "--orders", "2", "--target", "EA", "--hint-rows", "--vision-steps", "3"};
        CliRun r = CliRun.of(args);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("tune: base step 4/4").contains("search chose").contains("stage ETA");
        // stage 0 ran first and reported the validation pictures' objects
        assertThat(r.out()).containsPattern("tune: vision step 2/3, loss [0-9.]+, val objects [0-9.]+% \\(colour \\d+ empty \\d+ shape \\d+ size \\d+\\)")
                .containsPattern("tune: stage 0: vision tower, validation pictures: objects [0-9.]+% \\(shape ");
        // stage 1's validation shows the caption rows it trained on
        assertThat(r.out()).containsPattern("tune: base step 4/4, .*CAP \\d+");

        Path model = out.resolve("model");
        NativeModelDirectory.validate(model.toString(), new org.apache.hadoop.conf.Configuration());
        JsonObject plan = JsonParser.parseString(Files.readString(model.resolve("skip_plan.json"))).getAsJsonObject();
        // "1,3" or a range such as "0-1": two MHAs either way
        assertThat(io.easspark.engine.eas.SkipPlan.parse(plan.get("plan").getAsString(), 6).skippedCount()).isEqualTo(2);
        assertThat(plan.get("rounds").getAsInt()).isEqualTo(1); // a round at step 2 of 4
        assertThat(plan.getAsJsonArray("probabilities")).hasSize(6);
        JsonObject config = JsonParser.parseString(Files.readString(model.resolve("config.json"))).getAsJsonObject();
        assertThat(config.toString()).contains(plan.get("plan").getAsString());
        assertThat(Files.readString(model.resolve("skip_plan.json"))).contains("--base-steps 4").contains("\"eas tune --data ");

        String report = Files.readString(out.resolve("report/report.md"));
        for (int k = 0; k <= 6; k++) {
            assertThat(report).containsPattern("(?m)^\\| " + k + " \\| ");
        }
        assertThat(Files.size(out.resolve("report/loss.png"))).isGreaterThan(1000);
        assertThat(Files.size(out.resolve("report/accuracy.png"))).isGreaterThan(1000);

        CliRun again = CliRun.of(args);
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("--overwrite");
    }

    @Test
    void stageTwoAloneFromASavedBaseKeepsEveryBaseWeight() throws Exception {
        Path data = tmp.resolve("sqa-b");
        assertThat(CliRun.of("gen-scienceqa", "--output", data.toString(), "--seed", "4", "--train", "24", "--val", "12", "--test", "12").exit())
                .isZero();
        String[] common = {"--data", data.toString(), "--binding-steps", "2", "--base-steps", "3", "--adapter-steps", "4", "--search-every", "2",
            "--finetune-steps", "3", "--batch", "8", "--eval-every", "2", "--eval-rows", "8"};
        Path first = tmp.resolve("first");
        CliRun r = CliRun.of(concat(new String[] {"tune", "--output", first.toString()}, common));
        assertThat(r.exit()).as(r.err()).isZero();
        Path second = tmp.resolve("second");
        r = CliRun.of(concat(new String[] {"tune", "--output", second.toString(), "--base", first.resolve("model").toString(), "--adapter-lr", "1e-3"}, common));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("stage 1: base from").doesNotContain("tune: base step").contains("search chose");
        var conf = new org.apache.hadoop.conf.Configuration();
        java.util.Map<String, float[]> before = NativeModelDirectory.open(first.resolve("model").toString(), conf).values();
        java.util.Map<String, float[]> after = NativeModelDirectory.open(second.resolve("model").toString(), conf).values();
        int adapters = 0;
        for (String name : before.keySet()) {
            if (io.easspark.engine.tune.TrainingInit.isAdapter(name)) {
                adapters++;
            } else {
                assertThat(after.get(name)).as(name).isEqualTo(before.get(name));
            }
        }
        assertThat(adapters).isGreaterThan(0);
        // a base of another shape is refused before anything is written
        CliRun other = CliRun.of(concat(new String[] {"tune", "--output", tmp.resolve("third").toString(), "--base", first.resolve("model").toString(),
            "--heads", "4"}, common));
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).contains("is not this recipe's shape");
        assertThat(tmp.resolve("third")).doesNotExist();
        // nor one that learnt another tokenizer's ids (same vocabulary size would pass validation)
        TuneCommand.requireTuneTokenizer(first.resolve("model")); // the recipe's own passes
        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign);
        Files.write(foreign.resolve("tokenizer.model"), new byte[] {1, 2, 3});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TuneCommand.requireTuneTokenizer(foreign))
                .hasMessageContaining("was not tuned with eas tune's tokenizer");
        Files.delete(foreign.resolve("tokenizer.model"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TuneCommand.requireTuneTokenizer(foreign))
                .hasMessageContaining("differs or is missing");
        // --continue-base trains stage 1 further from the base's weights: every base tensor moves on, none is replaced by a fresh one
        Path continued = tmp.resolve("continued");
        r = CliRun.of(concat(new String[] {"tune", "--output", continued.toString(), "--data", data.toString(), "--base", first.resolve("model").toString(),
            "--continue-base", "--binding-steps", "0", "--base-steps", "2"}, java.util.Arrays.copyOfRange(common, 6, common.length)));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("tune: base step 2/2").contains("stage 1: base continued from").doesNotContain("binding step");
        java.util.Map<String, float[]> further = NativeModelDirectory.open(continued.resolve("model").toString(), conf).values();
        assertThat(further.get("tok_embeddings.weight")).isNotEqualTo(before.get("tok_embeddings.weight"));
        double moved = 0;
        float[] a = before.get("layers.0.attention.wq.weight");
        float[] b = further.get("layers.0.attention.wq.weight");
        for (int i = 0; i < a.length; i++) {
            moved = Math.max(moved, Math.abs(a[i] - b[i]));
        }
        assertThat(moved).as("two steps move the base's weights, from the base, not from a fresh init").isGreaterThan(0).isLessThan(0.1);
        CliRun alone = CliRun.of(concat(new String[] {"tune", "--output", tmp.resolve("fourth").toString(), "--continue-base"}, common));
        assertThat(alone.exit()).isEqualTo(2);
        assertThat(alone.err()).contains("--continue-base needs --base");
        assertThat(tmp.resolve("fourth")).doesNotExist();
        // nor may the output be the base it reads
        CliRun onto = CliRun.of(concat(new String[] {"tune", "--output", first.toString(), "--overwrite", "--base", first.resolve("model").toString()}, common));
        assertThat(onto.exit()).isEqualTo(2);
        assertThat(first.resolve("model/model.safetensors")).exists();
    }

    /** A benchmark of 8 / 4 / 4 problems (seed 3) in {@code tmp/name}: enough rows to reach each refusal. */
    private Path tinyBenchmark(String name) {
        Path data = tmp.resolve(name);
        assertThat(CliRun.of("gen-scienceqa", "--output", data.toString(), "--seed", "3", "--train", "8", "--val", "4", "--test", "4").exit())
                .isZero();
        return data;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aMalformedProblemIsNamedInOneLine() throws Exception {
        Path data = tinyBenchmark("bad");
        JsonObject problems = JsonParser.parseString(Files.readString(data.resolve("problems.json"))).getAsJsonObject();
        String pid = problems.keySet().iterator().next();
        problems.getAsJsonObject(pid).addProperty("answer", 9);
        Files.writeString(data.resolve("problems.json"), problems.toString());
        CliRun r = CliRun.of("tune", "--data", data.toString(), "--output", tmp.resolve("o").toString(), "--base-steps", "1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("has answer 9, expected an index into its").doesNotContain("NullPointerException");
    }

    @Test
    void unreadableDataLeavesTheOutputThatOverwriteNamedAsItWas() throws Exception {
        // --overwrite used to empty the previous output before problems.json and captions.json were read
        Path data = tinyBenchmark("bad-cap");
        Path previous = tmp.resolve("previous");
        Files.createDirectories(previous.resolve("model"));
        Files.createDirectories(previous.resolve("report"));
        Files.writeString(previous.resolve("model/config.json"), "{\"kept\": true}");
        Files.writeString(previous.resolve("report/report.md"), "# a finished tune");
        Files.writeString(data.resolve("captions.json"), "{\"1\": ");
        CliRun r = CliRun.of("tune", "--data", data.toString(), "--output", previous.toString(), "--overwrite", "--base-steps", "1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("captions.json");
        assertThat(previous.resolve("model/config.json")).hasContent("{\"kept\": true}");
        assertThat(previous.resolve("report/report.md")).hasContent("# a finished tune");
    }

    @Test
    void refusesAnOrderCountBelowOneBeforeWritingAnything() throws Exception {
        Path data = tinyBenchmark("sqa0");
        CliRun r = CliRun.of("tune", "--data", data.toString(), "--output", tmp.resolve("o").toString(), "--orders", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--orders must be >= 1");
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void refusesAStepCountThatWouldFailAfterTraining() throws Exception {
        // --adapter-steps 0 used to fail only after stage 1 had run, losing its weights
        Path data = tinyBenchmark("sqa00");
        for (String[] bad : new String[][] {{"--adapter-steps", "0"}, {"--finetune-steps", "0"}, {"--base-steps", "0"},
                {"--batch", "0"}, {"--binding-steps", "-1"}, {"--vision-steps", "-1"}}) {
            CliRun r = CliRun.of("tune", "--data", data.toString(), "--output", tmp.resolve("o").toString(), bad[0], bad[1]);
            assertThat(r.exit()).as(bad[0]).isEqualTo(2);
            assertThat(r.err()).contains(bad[0] + " must be >= ");
            assertThat(tmp.resolve("o")).doesNotExist();
        }
    }

    @Test
    void visionStepsNeedCaptionsAndATrainableTower() throws Exception {
        Path data = tinyBenchmark("sqa-nocap");
        Files.delete(data.resolve("captions.json"));
        CliRun r = CliRun.of("tune", "--data", data.toString(), "--output", tmp.resolve("o").toString(), "--vision-steps", "5");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--vision-steps needs the pictures' captions (captions.json)");
        assertThat(tmp.resolve("o")).doesNotExist();
        // a base taken as it is (no --continue-base) keeps its tower: training that tower would contradict it
        CliRun b = CliRun.of("tune", "--data", data.toString(), "--output", tmp.resolve("o").toString(), "--vision-steps", "5",
                "--base", tmp.toString());
        assertThat(b.exit()).isEqualTo(2);
        assertThat(b.err()).contains("with --base it needs --continue-base");
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void refusesAFolderThatIsNotScienceQa() {
        CliRun r = CliRun.of("tune", "--data", tmp.toString(), "--output", tmp.resolve("o").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("ScienceQA's layout").contains("gen-scienceqa");
        assertThat(tmp.resolve("o")).doesNotExist();
    }
}
