package io.easspark.jobs.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonParser;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import io.easspark.loader.nativeformat.ModelFamily;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.safetensors.SafetensorsReader;
import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.tensor.DType;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eas convert --family meter} on a METER-EAS Lightning .ckpt (tools/reference/make_meter_ckpt.py: PL 1.3.2's
 * layout, Conv1d shapes, a 5-answer VQA head, an ITM head): the directory it writes, what reads it back, and the
 * one-line errors for inputs that do not fit.
 */
class MeterConvertTest {

    /** fp16 storage rounds each weight to 11 significant bits; logits of the tiny model move by far less than this. */
    static final double FP16_LOGIT_TOLERANCE = 2e-2;

    static Path copy(String resource, Path to) throws Exception {
        try (InputStream in = MeterConvertTest.class.getResourceAsStream(resource)) {
            Files.copy(in, to);
        }
        return to;
    }

    record Inputs(Path ckpt, Path tokenizer, Path answers) {
    }

    static Inputs inputs(Path tmp) throws Exception {
        return new Inputs(copy("/meter/meter_tiny.ckpt", tmp.resolve("meter_tiny.ckpt")),
                copy(RobertaBpeTokenizer.DEMO_RESOURCE, tmp.resolve("tokenizer.json")),
                copy("/meter/label2ans.json", tmp.resolve("label2ans.json")));
    }

    static CliRun convert(Inputs in, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("convert", "--family", "meter", "--checkpoint", in.ckpt().toString(),
                "--tokenizer", in.tokenizer().toString(), "--label2ans", in.answers().toString(), "--max-text-len", "12",
                "--head-dim", "8", "--output", out.toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** VQA logits and ITM scores of two fixed rows (seeded pixels), no skip and the paper's default set. */
    static float[] outputs(MeterModel m) {
        long[][] ids = {{0, 5, 9, 13, 7, 2, 1, 1, 1, 1, 1, 1}, {0, 300, 11, 4, 380, 2, 1, 1, 1, 1, 1, 1}};
        int s = m.config().imageSize();
        float[] px = new float[2 * 3 * s * s];
        Random r = new Random(11);
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextGaussian();
        }
        List<Float> all = new java.util.ArrayList<>();
        for (MeterSkipSet skips : List.of(MeterSkipSet.none(6),
                MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, MeterSkipSet.IndexMapping.INTENDED))) {
            try (NDManager scope = m.newScope()) {
                NDArray pixels = scope.create(px, new Shape(2, 3, s, s));
                MeterModel.Fusion f = m.fuse(ids, pixels, MeterModel.TYPE_IMAGE, skips, scope);
                for (float v : m.vqaLogits(f.pooled()).toFloatArray()) {
                    all.add(v);
                }
                for (float v : m.itmScore(f.pooled()).toFloatArray()) {
                    all.add(v);
                }
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    @Test
    void convertsALightningCheckpointIntoAVerifiedMeterDirectory(@TempDir Path tmp) throws Exception {
        Inputs in = inputs(tmp);
        Path out = tmp.resolve("meter-native");
        CliRun r = convert(in, out);
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("METER hidden 16, RoBERTa 1 layers, ViT 1 blocks at 32 px, 6 fusion layers, heads VQA(5)+ITM, L 12",
                "not used by the model: text_transformer.embeddings.position_ids", "wrote and verified", "label2ans.json (5 answers)");
        // config.json records the family; label2ans.json is the {answer: index} map as a list by index
        assertThat(JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject().get("family").getAsString())
                .isEqualTo("meter");
        assertThat(JsonParser.parseString(Files.readString(out.resolve("label2ans.json"))).getAsJsonArray().toString())
                .isEqualTo("[\"yes\",\"no\",\"2\",\"red\",\"cat\"]");
        assertThat(Files.readAllBytes(out.resolve("tokenizer.json"))).isEqualTo(Files.readAllBytes(in.tokenizer()));
        assertThat(Files.list(tmp).map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("incomplete"));

        Configuration conf = new Configuration();
        assertThat(ModelFamily.ofDirectory(out.toUri().toString(), conf)).isEqualTo(ModelFamily.METER);
        MeterModelDirectory dir = MeterModelDirectory.validate(out.toUri().toString(), conf);
        assertThat(dir.answers().answer(3)).isEqualTo("red");
        float[] f32;
        try (MeterModel m = dir.load(Device.cpu())) {
            assertThat(m.hasVqaHead()).isTrue();
            assertThat(m.hasItmHead()).isTrue();
            assertThat(m.hasNlvr2Head()).isFalse();
            f32 = outputs(m);
        }
        // the same checkpoint converted to fp16: half the bytes, F16 tensors, the same outputs to fp16 rounding
        Path half = tmp.resolve("meter-f16");
        CliRun h = convert(in, half, "--dtype", "f16");
        assertThat(h.exit()).as(h.err()).isZero();
        try (SafetensorsReader sr = SafetensorsReader.open(new LocalInputFile(half.resolve("model.safetensors")))) {
            assertThat(sr.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(DType.F16));
        }
        assertThat(Files.size(half.resolve("model.safetensors"))).isLessThan(Files.size(out.resolve("model.safetensors")) * 6 / 10);
        try (MeterModel m = MeterModelDirectory.validate(half.toUri().toString(), conf).load(Device.cpu())) {
            float[] f16 = outputs(m);
            assertThat(f16).hasSameSizeAs(f32);
            double worst = 0;
            for (int i = 0; i < f32.length; i++) {
                worst = Math.max(worst, Math.abs(f16[i] - f32[i]));
            }
            assertThat(worst).isLessThan(FP16_LOGIT_TOLERANCE).isGreaterThan(0.0);
        }
    }

    /** Driver-side validation that infer and eas_answer run recognises a METER directory instead of misreading it as LaVIN. */
    @Test
    void lavinValidationRecognisesAMeterDirectory(@TempDir Path tmp) throws Exception {
        Inputs in = inputs(tmp);
        Path out = tmp.resolve("m");
        assertThat(convert(in, out).exit()).isZero();
        Configuration conf = new Configuration();
        String uri = out.toUri().toString();
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri, conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds a METER model (config.json \"family\": \"meter\")");
        Files.delete(out.resolve("label2ans.json"));
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri, conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has a VQA head of 5 classes but no label2ans.json");
        Files.writeString(out.resolve("label2ans.json"), "[\"yes\", \"no\"]");
        assertThatThrownBy(() -> MeterModelDirectory.validate(uri, conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds 2 answers but the VQA head has 5 classes");
        Files.writeString(out.resolve("config.json"), Files.readString(out.resolve("config.json")).replace("\"meter\"", "\"bert\""));
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri, conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'family' must be \"lavin\" or \"meter\" but found \"bert\"");
    }

    @Test
    void inputsThatDoNotFitExitTwoWithOneLine(@TempDir Path tmp) throws Exception {
        Inputs in = inputs(tmp);
        Path out = tmp.resolve("o");
        CliRun noAnswers = CliRun.of("convert", "--family", "meter", "--checkpoint", in.ckpt().toString(), "--tokenizer",
                in.tokenizer().toString(), "--max-text-len", "12", "--head-dim", "8", "--output", out.toString());
        assertThat(noAnswers.exit()).isEqualTo(2);
        assertThat(noAnswers.err().strip()).isEqualTo("eas convert: --label2ans is required: " + in.ckpt()
                + " has a VQA head of 5 classes (VQAv2: 3,129 answers, a JSON list or {answer: index} map)");

        Path three = Files.writeString(tmp.resolve("three.json"), "[\"yes\", \"no\", \"red\"]");
        CliRun wrongCount = convert(new Inputs(in.ckpt(), in.tokenizer(), three), out);
        assertThat(wrongCount.exit()).isEqualTo(2);
        assertThat(wrongCount.err()).contains("--label2ans " + three + " holds 3 answers but the VQA head of " + in.ckpt() + " has 5 classes");

        Path gap = Files.writeString(tmp.resolve("gap.json"), "{\"yes\": 0, \"no\": 1, \"2\": 2, \"red\": 3, \"cat\": 7}");
        CliRun badIndex = convert(new Inputs(in.ckpt(), in.tokenizer(), gap), out);
        assertThat(badIndex.exit()).isEqualTo(2);
        assertThat(badIndex.err()).contains("answer \"cat\" has index 7; expected 0..4");

        CliRun shortL = CliRun.of("convert", "--family", "meter", "--checkpoint", in.ckpt().toString(), "--tokenizer",
                in.tokenizer().toString(), "--label2ans", in.answers().toString(), "--head-dim", "8", "--output", out.toString());
        assertThat(shortL.exit()).isEqualTo(2);
        assertThat(shortL.err().strip()).isEqualTo("eas convert: --max-text-len 50 needs 52 rows of"
                + " text_transformer.embeddings.position_embeddings.weight but " + in.ckpt() + " has 16");

        CliRun lavinFlag = convert(in, out, "--adapter", in.ckpt().toString());
        assertThat(lavinFlag.exit()).isEqualTo(2);
        assertThat(lavinFlag.err().strip()).isEqualTo("eas convert: --adapter is for --family lavin but --family is meter");

        Path notLightning = copy("/meter/meter_state_dict.pth", tmp.resolve("renamed.ckpt"));
        CliRun plain = convert(new Inputs(notLightning, in.tokenizer(), in.answers()), out);
        assertThat(plain.exit()).isNotZero();
        assertThat(plain.err()).contains("is not a PyTorch Lightning checkpoint").doesNotContain("\tat ");

        // a plain state_dict .pth whose embedding is smaller than the tokenizer's ids
        Path small = copy("/meter/meter_state_dict.pth", tmp.resolve("small.pth"));
        CliRun vocab = CliRun.of("convert", "--family", "meter", "--checkpoint", small.toString(), "--tokenizer", in.tokenizer().toString(),
                "--label2ans", in.answers().toString(), "--max-text-len", "6", "--head-dim", "8", "--output", out.toString());
        assertThat(vocab.exit()).isEqualTo(2);
        assertThat(vocab.err()).contains("produces ids up to 380 but the model's word embedding has 24 rows (vocab_size)");
        assertThat(out).doesNotExist(); // nothing was written by any failed run
    }

    @Test
    void anExistingOutputIsRefusedUnlessOverwrite(@TempDir Path tmp) throws Exception {
        Inputs in = inputs(tmp);
        Path out = tmp.resolve("o");
        assertThat(convert(in, out).exit()).isZero();
        CliRun again = convert(in, out);
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("--output").contains("--overwrite");
        CliRun over = convert(in, out, "--overwrite");
        assertThat(over.exit()).as(over.err()).isZero();
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        CliRun refused = convert(in, foreign, "--overwrite");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(foreign.resolve("notes.txt")).hasContent("mine");
    }

    @Test
    void helpDescribesBothFamilies() {
        CliRun r = CliRun.of("convert", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--family", "lavin (default)", "meter: METER / METER-EAS", "--checkpoint", "Lightning .ckpt",
                "tokenizer.json", "--label2ans", "3,129", "\"family\": \"meter\"", "--dtype");
    }
}
