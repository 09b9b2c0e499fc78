package io.easspark.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.meter.MeterImageTransform;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.MeterDemoModel;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eas demo --family meter}: a valid METER directory, VQA and NLVR2 rows that the model can run on, reproducibly. */
class MeterDemoTest {

    /** Batched vs row-by-row on the same rows: fp32 round-off of a batched matmul only. */
    static final double BATCH_TOLERANCE = 1e-5;

    static List<JsonObject> rows(Path jsonl) throws Exception {
        return Files.readAllLines(jsonl).stream().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    @Test
    void writesAValidMeterModelAndRowsItCanAnswer(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo-meter");
        CliRun r = CliRun.of("demo", "--family", "meter", "--output", out.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("wrote a METER model", "12 VQA rows", "6 NLVR2 rows");

        MeterModelDirectory dir = MeterModelDirectory.validate(out.resolve("model").toUri().toString(), new Configuration());
        assertThat(dir.config()).isEqualTo(MeterDemoModel.config());
        assertThat(dir.answers().answers()).isEqualTo(MeterDemoModel.ANSWERS);

        Path data = out.resolve("data");
        List<JsonObject> vqa = rows(data.resolve("vqa.jsonl"));
        List<JsonObject> nlvr2 = rows(data.resolve("nlvr2.jsonl"));
        assertThat(vqa).hasSize(12);
        assertThat(nlvr2).hasSize(6);
        assertThat(vqa.stream().map(o -> o.get("id").getAsString()).distinct()).hasSize(12);
        assertThat(vqa).allSatisfy(o -> assertThat(o.getAsJsonArray("answers")).hasSize(10));
        for (int i = 0; i < vqa.size(); i++) { // row 1 is image_missing and row 2 empty_question on purpose
            assertThat(Files.exists(data.resolve(vqa.get(i).get("image").getAsString()))).as("vqa row " + i).isEqualTo(i != 1);
            assertThat(vqa.get(i).get("question").getAsString().isEmpty()).as("vqa row " + i).isEqualTo(i == 2);
        }
        for (int i = 0; i < nlvr2.size(); i++) {
            assertThat(data.resolve(nlvr2.get(i).get("image").getAsString())).exists();
            assertThat(Files.exists(data.resolve(nlvr2.get(i).get("image2").getAsString()))).as("nlvr2 row " + i).isEqualTo(i != 1);
            assertThat(nlvr2.get(i).get("statement").getAsString()).isNotBlank();
            assertThat(nlvr2.get(i).get("label").getAsJsonPrimitive().isBoolean()).isTrue();
        }

        // the model runs on the rows: VQA logits over the 16 answers, NLVR2 over 2, ITM one score; a batch of two
        // rows gives what each row gives alone
        MeterImageTransform images = new MeterImageTransform(dir.config().imageSize());
        MeterSkipSet skips = MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, MeterSkipSet.IndexMapping.INTENDED);
        int s = dir.config().imageSize();
        try (MeterModel m = dir.load(Device.cpu()); RobertaBpeTokenizer tok = dir.tokenizer()) {
            long[][] ids = {tok.encode(vqa.get(0).get("question").getAsString()), tok.encode(vqa.get(3).get("question").getAsString())};
            float[] px0 = images.pixels(Files.readAllBytes(data.resolve(vqa.get(0).get("image").getAsString())));
            float[] px3 = images.pixels(Files.readAllBytes(data.resolve(vqa.get(3).get("image").getAsString())));
            float[] batched;
            float[][] alone = new float[2][];
            try (NDManager scope = m.newScope()) {
                float[] both = new float[px0.length * 2];
                System.arraycopy(px0, 0, both, 0, px0.length);
                System.arraycopy(px3, 0, both, px0.length, px3.length);
                NDArray logits = m.vqaLogits(m.fuse(ids, scope.create(both, new Shape(2, 3, s, s)), MeterModel.TYPE_IMAGE, skips, scope).pooled());
                assertThat(logits.getShape()).isEqualTo(new Shape(2, MeterDemoModel.ANSWERS.size()));
                batched = logits.toFloatArray();
            }
            float[][] px = {px0, px3};
            for (int row = 0; row < 2; row++) {
                try (NDManager scope = m.newScope()) {
                    alone[row] = m.vqaLogits(m.fuse(new long[][] {ids[row]}, scope.create(px[row], new Shape(1, 3, s, s)),
                            MeterModel.TYPE_IMAGE, skips, scope).pooled()).toFloatArray();
                }
            }
            int n = MeterDemoModel.ANSWERS.size();
            for (int k = 0; k < n; k++) {
                assertThat((double) batched[k]).isCloseTo(alone[0][k], org.assertj.core.data.Offset.offset(BATCH_TOLERANCE));
                assertThat((double) batched[n + k]).isCloseTo(alone[1][k], org.assertj.core.data.Offset.offset(BATCH_TOLERANCE));
            }
            JsonObject pair = nlvr2.get(0);
            long[][] statement = {tok.encode(pair.get("statement").getAsString())};
            try (NDManager scope = m.newScope()) {
                NDArray left = scope.create(images.pixels(Files.readAllBytes(data.resolve(pair.get("image").getAsString()))), new Shape(1, 3, s, s));
                NDArray right = scope.create(images.pixels(Files.readAllBytes(data.resolve(pair.get("image2").getAsString()))), new Shape(1, 3, s, s));
                NDArray p0 = m.fuse(statement, left, MeterModel.TYPE_IMAGE, skips, scope).pooled();
                NDArray p1 = m.fuse(statement, right, MeterModel.TYPE_SECOND_IMAGE, skips, scope).pooled();
                float[] two = m.nlvr2Logits(p0, p1).toFloatArray();
                assertThat(two).hasSize(2);
                assertThat(Float.isFinite(two[0]) && Float.isFinite(two[1])).isTrue();
                assertThat(two[0]).isNotEqualTo(two[1]);
                assertThat(m.itmScore(p0).getShape()).isEqualTo(new Shape(1, 1));
            }
        }
    }

    @Test
    void theSameSeedWritesTheSameDemoAndAnExistingOutputIsRefused(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Path c = tmp.resolve("c");
        assertThat(CliRun.of("demo", "--family", "meter", "--output", a.toString()).exit()).isZero();
        assertThat(CliRun.of("demo", "--family", "meter", "--output", b.toString()).exit()).isZero();
        assertThat(CliRun.of("demo", "--family", "meter", "--seed", "8", "--rows", "6", "--output", c.toString()).exit()).isZero();
        for (String f : new String[] {"model/model.safetensors", "data/vqa.jsonl", "data/nlvr2.jsonl", "data/images/v000.png"}) {
            assertThat(Files.readAllBytes(b.resolve(f))).as(f).isEqualTo(Files.readAllBytes(a.resolve(f)));
        }
        assertThat(Files.readAllBytes(c.resolve("model/model.safetensors"))).isNotEqualTo(Files.readAllBytes(a.resolve("model/model.safetensors")));
        assertThat(Files.readAllLines(c.resolve("data/vqa.jsonl"))).hasSize(6);

        CliRun again = CliRun.of("demo", "--family", "meter", "--output", a.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("--overwrite");
        assertThat(CliRun.of("demo", "--family", "meter", "--output", a.toString(), "--overwrite").exit()).isZero();
        CliRun tooFew = CliRun.of("demo", "--family", "meter", "--rows", "5", "--output", tmp.resolve("d").toString());
        assertThat(tooFew.exit()).isEqualTo(2);
        assertThat(tooFew.err().strip()).isEqualTo("eas demo: --rows must be >= 6 for --family meter: 5");
        CliRun family = CliRun.of("demo", "--family", "bert", "--output", tmp.resolve("e").toString());
        assertThat(family.exit()).isEqualTo(2);
        assertThat(family.err().strip()).isEqualTo("eas demo: --family must be lavin or meter: bert");
    }
}
