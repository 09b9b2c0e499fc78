package io.easspark.jobs.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.meter.MeterImageTransform;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * calibrate on the METER demo through the real command line: the files it writes, the chosen plan's loss against an
 * oracle computed here from the model's logits, the index mapping, ErrorIfExists, and METER/LaVIN flag refusals in
 * one line before Spark starts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeterCalibrateTest {

    static final double TOLERANCE = 1e-4;
    static final String NO_SUCH_MASTER = "no-such-master";

    Path tmp;
    Path demo;

    @BeforeAll
    void demo() throws Exception {
        tmp = Files.createTempDirectory("meter-calibrate");
        demo = tmp.resolve("demo");
        CliRun r = CliRun.of("demo", "--family", "meter", "--output", demo.toString());
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @Test
    void vqaSearchWritesAPlanWhoseLossAnOracleReproduces() throws Exception {
        Path out = tmp.resolve("vqa");
        CliRun r = calibrate(out, "--input", demo.resolve("data/vqa.jsonl").toString(), "--k", "3", "--rounds", "3", "--seed", "5");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("calibrate: METER, rl, k 3 of 24 candidate MHAs, 12 validation rows", "gold answers (annotators' answers)",
                "calibrate: evaluation 1, 3 plan(s) on 10 rows"); // rows 1 (no image file) and 2 (empty question) cannot be scored
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("skip_plan.json"))).getAsJsonObject();
        assertThat(json.get("family").getAsString()).isEqualTo("meter");
        assertThat(json.get("strategy").getAsString()).isEqualTo("rl");
        assertThat(json.get("index_mapping").getAsString()).isEqualTo("intended");
        List<Integer> indices = ints(json.getAsJsonArray("indices"));
        assertThat(indices).hasSize(3).doesNotHaveDuplicates().allSatisfy(i -> assertThat(i).isBetween(0, 23));
        MeterSkipSet set = MeterSkipSet.of(6, indices, MeterSkipSet.IndexMapping.INTENDED);
        assertThat(strings(json.getAsJsonArray("modules"))).isEqualTo(set.modulePaths())
                .allSatisfy(m -> assertThat(m).matches("fusion[0-5]\\.(text|image)_(self|cross)"));
        assertThat(json.getAsJsonArray("gates")).hasSize(24);
        assertThat(json.getAsJsonArray("ranking")).hasSize(24);
        // rounds × plans + the final plan + the curve k = 0..3 (its k = 3 point may be the final plan, already scored)
        assertThat(json.get("plans_evaluated").getAsInt()).isBetween(3 * 3 + 1 + 3, 3 * 3 + 1 + 4);

        double oracle = oracleVqaLoss(set);
        assertThat(json.get("loss").getAsDouble()).isCloseTo(oracle, within(TOLERANCE));
        String md = Files.readString(out.resolve("curve.md"));
        assertThat(md).contains("| 0 | none | - |", "| 3 | " + json.get("plan").getAsString() + " | " + String.join(" ", set.modulePaths()) + " |",
                "| 1.000x |");
        assertThat(md.lines().filter(l -> l.matches("\\| \\d+ \\|.*"))).hasSize(4);
        assertThat(Files.readAllBytes(out.resolve("curve.png"))).startsWith(0x89, 'P', 'N', 'G');

        // ErrorIfExists: a second run into the same folder is refused in one line, before Spark
        CliRun again = calibrate(out, "--input", demo.resolve("data/vqa.jsonl").toString(), "--k", "3", "--master", NO_SUCH_MASTER);
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err().strip()).contains("already exists: give --overwrite");
        assertThat(again.err().strip().lines()).hasSize(1);

        // --overwrite replaces it; the same seed over 3 partitions finds the same plan and loss (rows average in id order)
        CliRun three = calibrate(out, "--input", demo.resolve("data/vqa.jsonl").toString(), "--k", "3", "--rounds", "3", "--seed", "5",
                "--partitions", "3", "--overwrite");
        assertThat(three.exit()).as(three.err()).isZero();
        JsonObject json3 = JsonParser.parseString(Files.readString(out.resolve("skip_plan.json"))).getAsJsonObject();
        assertThat(json3.get("plan").getAsString()).isEqualTo(json.get("plan").getAsString());
        assertThat(json3.get("loss").getAsDouble()).isCloseTo(json.get("loss").getAsDouble(), within(1e-5));
        assertThat(json3.get("dataset_fingerprint").getAsString()).isEqualTo(json.get("dataset_fingerprint").getAsString());
    }

    @Test
    void nlvr2LeaveOneOutUnderTheOriginalMappingNeverSkipsImageCrossAttention() throws Exception {
        Path out = tmp.resolve("nlvr2");
        CliRun r = calibrate(out, "--input", demo.resolve("data/nlvr2.jsonl").toString(), "--question-col", "statement", "--label-col", "label",
                "--strategy", "leave-one-out", "--k", "4", "--max-k", "5", "--index-mapping", "original", "--task", "nlvr2");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("skip_plan.json"))).getAsJsonObject();
        assertThat(json.get("task").getAsString()).isEqualTo("nlvr2");
        assertThat(json.get("index_mapping").getAsString()).isEqualTo("original");
        assertThat(json.has("gates")).isFalse();
        List<Integer> indices = ints(json.getAsJsonArray("indices"));
        assertThat(indices).hasSize(4);
        assertThat(strings(json.getAsJsonArray("modules"))).noneMatch(m -> m.endsWith("image_cross"))
                .isEqualTo(MeterSkipSet.of(6, indices, MeterSkipSet.IndexMapping.ORIGINAL).modulePaths());
        // leave-one-out ranks all 24 candidates in one call (+ no-skip), then the plan and the curve
        assertThat(r.out()).contains("calibrate: evaluation 1, 25 plan(s) on 5 rows"); // row 1 has no second image
        assertThat(json.get("accuracy").getAsDouble()).isBetween(0.0, 1.0);
        assertThat(Files.readString(out.resolve("curve.md")).lines().filter(l -> l.matches("\\| \\d+ \\|.*"))).hasSize(6);

        // infer reads the file it wrote: the same indices, under the mapping they were searched with
        io.easspark.jobs.infer.InferOptions o = io.easspark.jobs.infer.InferOptions.builder(demo.resolve("data/nlvr2.jsonl").toString(),
                demo.resolve("model").toString(), tmp.resolve("never").toString()).meterAllowed(true)
                .skipPlan(out.resolve("skip_plan.json").toString()).build(new org.apache.hadoop.conf.Configuration());
        assertThat(o.meter().skips()).isEqualTo(indices);
        assertThat(o.meter().mapping()).isEqualTo(MeterSkipSet.IndexMapping.ORIGINAL);
    }

    @Test
    void flagsOfTheOtherFamilyAndBadValuesAreRefusedInOneLineBeforeSpark() throws Exception {
        String vqa = demo.resolve("data/vqa.jsonl").toString();
        Path lavin = tmp.resolve("lavin");
        DemoCommand.write(lavin, 3, 7);
        List<List<String>> cases = List.of(
                List.of("--lr", "1.0", "|--lr does not apply to", "a METER model"),
                List.of("--prompt-format", "QCM-A", "|--prompt-format does not apply to"),
                List.of("--batch-size", "4", "|--batch-size does not apply to"),
                List.of("--index-mapping", "sideways", "|--index-mapping must be intended or original: sideways"),
                List.of("--task", "itm", "|--task must be auto, vqa or nlvr2 for calibrate: itm"),
                List.of("--k", "25", "|--k must be in 1..24 for this METER model"),
                List.of("--strategy", "random", "|unknown --strategy random"),
                List.of("--max-batch-tokens", "0", "|--max-batch-tokens must be >= 1: 0"),
                List.of("--device", "gpu", "|--device gpu: METER models run on the CPU"));
        for (List<String> c : cases) {
            int bar = c.indexOf(c.stream().filter(s -> s.startsWith("|")).findFirst().orElseThrow());
            List<String> args = new ArrayList<>(List.of("--input", vqa, "--master", NO_SUCH_MASTER));
            args.addAll(c.subList(0, bar));
            if (!args.contains("--k")) {
                args.addAll(List.of("--k", "2"));
            }
            Path out = tmp.resolve("refused");
            CliRun r = calibrate(out, args.toArray(String[]::new));
            assertThat(r.exit()).as(c + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(c.toString()).startsWith("eas calibrate: ").contains(c.get(bar).substring(1));
            c.subList(bar + 1, c.size()).forEach(more -> assertThat(r.err()).contains(more));
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
            assertThat(Files.exists(out)).as(c.toString()).isFalse();
            assertThat(sparkAlive()).as("no session was started").isFalse();
        }
        // METER's flags on a LaVIN model
        CliRun r = CliRun.of("calibrate", "--model", lavin.resolve("model").toString(), "--input", lavin.resolve("data/questions.jsonl").toString(),
                "--k", "1", "--task", "vqa", "--master", NO_SUCH_MASTER, "--output", tmp.resolve("lavin-out").toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).contains("--task does not apply to", "a LaVIN model");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    private CliRun calibrate(Path out, String... args) {
        List<String> all = new ArrayList<>(List.of("calibrate", "--model", demo.resolve("model").toString(), "--image-root",
                demo.resolve("data").toString(), "--output", out.toString()));
        all.addAll(List.of(args));
        if (!all.contains("--master")) {
            all.addAll(List.of("--master", "local[2]"));
        }
        return CliRun.of(all.toArray(String[]::new));
    }

    /**
     * The mean over scorable demo rows of Σ_c −[t log σ(x) + (1 − t) log(1 − σ(x))], targets from the annotators'
     * counts (0.3 per annotator up to 3, then 1), logits from one row at a time through the engine.
     */
    private double oracleVqaLoss(MeterSkipSet set) throws Exception {
        MeterModelDirectory dir = MeterModelDirectory.open(demo.resolve("model").toString(), new Configuration());
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < dir.answers().size(); i++) {
            answers.add(dir.answers().answer(i));
        }
        int s = dir.config().imageSize();
        MeterImageTransform transform = new MeterImageTransform(s);
        double sum = 0;
        int rows = 0;
        try (MeterModel model = dir.load(Device.cpu()); RobertaBpeTokenizer tokenizer = dir.tokenizer()) {
            for (String line : Files.readAllLines(demo.resolve("data/vqa.jsonl"))) {
                JsonObject row = JsonParser.parseString(line).getAsJsonObject();
                Path image = demo.resolve("data").resolve(row.get("image").getAsString());
                String question = row.get("question").getAsString();
                if (!Files.exists(image) || question.isBlank()) {
                    continue;
                }
                Map<String, Integer> counts = new HashMap<>();
                row.getAsJsonArray("answers").forEach(a -> counts.merge(a.getAsString(), 1, Integer::sum));
                float[] logits;
                try (NDManager scope = model.newScope()) {
                    float[] px = transform.pixels(Files.readAllBytes(image));
                    logits = model.vqaLogits(model.fuse(new long[][] {tokenizer.encode(question)}, scope.create(px, new Shape(1, 3, s, s)),
                            MeterModel.TYPE_IMAGE, set, scope).pooled()).toFloatArray();
                }
                for (int c = 0; c < logits.length; c++) {
                    double t = Math.min(1.0, 0.3 * counts.getOrDefault(answers.get(c), 0));
                    double sig = 1 / (1 + Math.exp(-logits[c]));
                    sum -= t * Math.log(sig) + (1 - t) * Math.log(1 - sig);
                }
                rows++;
            }
        }
        assertThat(rows).isEqualTo(10);
        return sum / rows;
    }

    private static boolean sparkAlive() {
        scala.Option<SparkSession> active = SparkSession.getActiveSession();
        return active.isDefined() && !active.get().sparkContext().isStopped();
    }

    private static List<Integer> ints(JsonArray a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsInt()));
        return out;
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : a) {
            out.add(e.getAsString());
        }
        return out;
    }
}
