package io.easspark.loader.nativeformat;

import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.MeterLayout;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.loader.convert.ImportedTensor;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small METER-shaped model with seeded random weights, the demo RoBERTa tokenizer and a small answer vocabulary,
 * written as a native METER directory with all three heads (VQA, NLVR2, ITM): it runs every code path in seconds.
 * Its answers are meaningless until a real checkpoint is converted.
 */
public final class MeterDemoModel {

    /** Answers of the demo's VQA head, by class. */
    public static final List<String> ANSWERS = List.of("yes", "no", "red", "green", "blue", "yellow", "purple", "orange",
            "circle", "square", "triangle", "1", "2", "3", "left", "right");

    /** Std of the random weight matrices: BERT's initializer range, so activations stay O(1) through the layers. */
    private static final double INIT_STD = 0.02;

    private MeterDemoModel() {
    }

    /**
     * d 64 (4 heads of 16), RoBERTa 2 layers over the demo tokenizer's 381 ids, a 2-block ViT at 64 px (16 patches),
     * METER's 6 fusion layers with adapters of 16 and PIAs of 24, L = 20.
     */
    public static MeterConfig config() {
        return new MeterConfig(64, 4, 128, 381, 22, 2, 1e-5, 64, 16, 64, 4, 2, 1e-5, 6, 1e-12, 16, 24, 2, ANSWERS.size(), 20);
    }

    /** Writes and verifies the demo model directory. */
    public static NativeModelWriter.Written write(Path dir, long seed) throws IOException {
        return write(dir, config(), seed);
    }

    /** Writes and verifies a METER directory of {@code config} with seeded random weights and all three heads. */
    public static NativeModelWriter.Written write(Path dir, MeterConfig config, long seed) throws IOException {
        byte[] tokenizer;
        try (InputStream in = MeterDemoModel.class.getResourceAsStream(RobertaBpeTokenizer.DEMO_RESOURCE)) {
            tokenizer = in.readAllBytes();
        }
        AnswerVocabulary answers = config.vqaLabels() == ANSWERS.size() ? new AnswerVocabulary(ANSWERS) : numbered(config.vqaLabels());
        return MeterModelWriter.writeVerified(dir, config, randomTensors(config, seed), tokenizer, answers, (i, n, name, bytes) -> { });
    }

    /** "answer0", "answer1", ... for a scaled config whose head is not the demo's. */
    private static AnswerVocabulary numbered(int n) {
        List<String> a = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            a.add("answer" + i);
        }
        return new AnswerVocabulary(a);
    }

    /**
     * Seeded fp32 tensors for every name of the layout: LayerNorm weights 1 and biases 0 (as freshly initialised),
     * every other tensor N(0, 0.02²); each tensor has its own stream (seed and position), produced when written.
     */
    public static List<ImportedTensor> randomTensors(MeterConfig config, long seed) {
        List<ImportedTensor> out = new ArrayList<>();
        int index = 0;
        for (Map.Entry<String, long[]> e : MeterLayout.tensors(config, new MeterLayout.Heads(true, true, true)).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            long streamSeed = seed * 1_000_003L + index++;
            out.add(new ImportedTensor(name, DType.F32, shape, "random(seed " + seed + ")", () -> {
                int n = Math.toIntExact(TensorData.elements(shape));
                ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
                boolean norm = isNorm(name);
                SplittableRandom random = new SplittableRandom(streamSeed);
                for (int i = 0; i < n; i++) {
                    b.putFloat(norm ? (name.endsWith(".weight") ? 1f : 0f) : (float) (random.nextGaussian() * INIT_STD));
                }
                b.flip();
                return new TensorData(name, DType.F32, shape, b);
            }));
        }
        return out;
    }

    /** LayerNorms by their original names (RoBERTa's LayerNorm, CLIP's ln_*, the heads' index 1). */
    static boolean isNorm(String name) {
        return name.contains("LayerNorm.") || name.contains(".ln_") || name.matches("(vqa|nlvr2)_classifier\\.1\\..*");
    }
}
