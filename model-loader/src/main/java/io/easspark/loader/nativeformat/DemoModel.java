package io.easspark.loader.nativeformat;

import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.model.RandomWeights;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.vision.VisionConfig;
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

/**
 * A small LaVIN-EAS-shaped model with seeded random weights and the real demo tokenizer, written as a native
 * directory: it exercises every code path (image tower, kept and skipped layers, tokenizer) in seconds. Its
 * answers are meaningless until a real checkpoint is converted.
 */
public final class DemoModel {

    /** The demo's skip plan: 2 of 4 MHAs skipped. */
    public static final String PLAN = "1,3";

    private DemoModel() {
    }

    /** dim 64, 4 layers, vocabulary of the demo tokenizer (512), a 56-pixel image tower giving 2 visual tokens. */
    public static LavinConfig config() {
        LlamaConfig text = new LlamaConfig(64, 4, 4, 176, 512, 1e-6, 10000.0, 256);
        VisionConfig vision = new VisionConfig(56, 14, 32, 4, 2, 1e-5, 8, 2, 1.0, 10.0, 2, 16,
                VisionConfig.IMAGENET_MEAN, VisionConfig.IMAGENET_STD);
        return new LavinConfig(text, AdapterConfig.lavinEas(), vision, vision.taps(), PLAN, "lowrank");
    }

    /** Writes and verifies the demo model directory. */
    public static NativeModelWriter.Written write(Path dir, long seed) throws IOException {
        return write(dir, config(), seed);
    }

    /** The demo's text shape scaled up (benchmarks): same tokenizer, image tower and plan, a wider and deeper decoder. */
    public static LavinConfig scaled(int dim, int layers, int heads, int ffn) {
        LavinConfig demo = config();
        LlamaConfig text = new LlamaConfig(dim, layers, heads, ffn, 512, 1e-6, 10000.0, 256);
        return new LavinConfig(text, demo.adapter(), demo.vision(), demo.nVisualTokens(), PLAN, "lowrank");
    }

    /** Writes and verifies a model directory of this config with seeded random weights and the demo tokenizer. */
    public static NativeModelWriter.Written write(Path dir, LavinConfig config, long seed) throws IOException {
        byte[] tokenizer;
        try (InputStream in = DemoModel.class.getResourceAsStream(LlamaTokenizer.DEMO_RESOURCE)) {
            tokenizer = in.readAllBytes();
        }
        return NativeModelWriter.writeVerified(dir, config, randomTensors(config, seed), tokenizer, (i, n, name, bytes) -> { });
    }

    /** Seeded random fp32 tensors for every name of a config's native layout, produced one at a time. */
    public static List<ImportedTensor> randomTensors(LavinConfig config, long seed) {
        RandomWeights random = new RandomWeights(config, seed);
        List<ImportedTensor> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : NativeLayout.tensors(config).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            out.add(new ImportedTensor(name, DType.F32, shape, random.describe(), () -> {
                float[] v = random.values(name);
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                return new TensorData(name, DType.F32, shape, b);
            }));
        }
        return out;
    }
}
