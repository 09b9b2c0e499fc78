package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.MeterDemoModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * infer's flags that belong to one model family, given for the other, and bad METER settings: refused in one line
 * (exit 2) before any Spark session and before the output folder exists — never silently ignored, never failing
 * inside a task. The family is read from the model's config.json.
 */
class MeterModelBeforeSparkTest {

    @TempDir
    static Path tmp;
    static Path lavinInput;
    static Path lavin;
    static Path meter;

    @BeforeAll
    static void models() throws Exception {
        Path demo = tmp.resolve("demo");
        DemoCommand.write(demo, 3, 7);
        lavinInput = demo.resolve("data/questions.jsonl");
        lavin = demo.resolve("model");
        meter = tmp.resolve("meter-model");
        MeterDemoModel.write(meter, 7);
    }

    static void assertRefused(Path model, String expected, String... flags) {
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>(List.of("infer", "--master", SettingsBeforeSparkTest.NO_SUCH_MASTER, "--input",
                lavinInput.toString(), "--model", model.toString(), "--output", out.toString()));
        args.addAll(List.of(flags));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(String.join(" ", flags) + ": " + r.err()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("eas infer: ").contains(expected);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(SettingsBeforeSparkTest.sparkAlive()).as("no session was started").isFalse();
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void lavinGenerationFlagsAreRefusedOnAMeterModel() {
        for (String[] flag : List.of(new String[] {"--max-new-tokens", "5"}, new String[] {"--prompt-format", "vqa"},
                new String[] {"--temperature", "0.5"}, new String[] {"--batch-size", "4"}, new String[] {"--reparam", "merged"})) {
            assertRefused(meter, flag[0] + " does not apply to " + meter + ", a METER model", flag);
        }
    }

    @Test
    void meterFlagsAreRefusedOnALavinModel() {
        for (String[] flag : List.of(new String[] {"--task", "vqa"}, new String[] {"--top-k", "3"},
                new String[] {"--image2-col", "image2"}, new String[] {"--task-col", "kind"}, new String[] {"--max-batch-tokens", "100"},
                new String[] {"--index-mapping", "original"})) {
            assertRefused(lavin, flag[0] + " does not apply to " + lavin + ", a LaVIN model", flag);
        }
    }

    @Test
    void badMeterSettingsAreNamed() {
        assertRefused(meter, "skip index 24 is outside 0-23", "--skip-plan", "0-2,24");
        assertRefused(meter, "--skip-plan for a METER model takes indices 0-23", "--skip-plan", "19,x");
        assertRefused(meter, "--task must be vqa, nlvr2, itm or auto: yes", "--task", "yes");
        assertRefused(meter, "--index-mapping must be intended or original: both", "--index-mapping", "both");
        assertRefused(meter, "--top-k must be >= 1: 0", "--top-k", "0");
        assertRefused(meter, "--max-batch-tokens must be >= 1: 0", "--max-batch-tokens", "0");
        assertRefused(meter, "--device gpu: METER models run on the CPU in this version", "--device", "gpu");
    }

    /**
     * A skip_plan.json carries the family it was searched on: a METER plan's "0-2,4" names fusion MHAs, so given to a
     * LaVIN model it would skip decoder layers 0-2 and 4 without a word (and the other way round). Each is refused;
     * a METER plan is read with the index mapping it was searched under.
     */
    @Test
    void aSkipPlanFileIsReadForItsOwnFamilyOnly() throws Exception {
        Path meterPlan = tmp.resolve("meter-plan.json");
        Files.writeString(meterPlan, "{\"family\": \"meter\", \"plan\": \"0-2,19\", \"index_mapping\": \"original\"}");
        Path lavinPlan = tmp.resolve("lavin-plan.json");
        Files.writeString(lavinPlan, "{\"plan\": \"1,3\", \"k\": 2}");
        assertRefused(lavin, "was searched on a meter model", "--skip-plan", meterPlan.toString());
        assertRefused(meter, "was searched on a LaVIN model; --model is a METER model", "--skip-plan", lavinPlan.toString());
        assertRefused(meter, "index mapping intended (--index-mapping, default intended) contradicts --skip-plan",
                "--skip-plan", meterPlan.toString(), "--index-mapping", "intended");

        InferOptions o = InferOptions.builder(lavinInput.toString(), meter.toString(), tmp.resolve("never").toString())
                .meterAllowed(true).skipPlan(meterPlan.toString()).build(new org.apache.hadoop.conf.Configuration());
        assertThat(o.meter().skips()).containsExactly(0, 1, 2, 19);
        assertThat(o.meter().mapping()).isEqualTo(io.easspark.engine.meter.MeterSkipSet.IndexMapping.ORIGINAL);
    }
}
