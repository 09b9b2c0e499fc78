package io.easspark.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.MeterFlops;
import io.easspark.engine.meter.MeterLayout;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.model.WeightSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * METER-EAS with the paper's default 10-of-24 skip set vs none on a METER-base-shaped model with random weights:
 * rows/s of the full forward (both encoders, fusion, pooler, VQA head) at batch 1 and 64, against the FLOP
 * prediction ({@link MeterFlops}). Prints a markdown section for docs/BENCHMARKS.md.
 *
 * <pre>nice java -cp bench/target/eas-bench.jar:... io.easspark.bench.MeterBench [imageSize] [iterations64] [iterations1]</pre>
 */
public final class MeterBench {

    /** METER's text length for VQAv2 (DESIGN-METER.md §1); every row computes all L positions. */
    static final int L = 50;
    /** Real tokens per row (a typical short VQA question with its specials); the rest are pads. */
    static final int REAL_TOKENS = 12;
    /** BERT's initializer range: keeps activations O(1), so no timing depends on overflowing values. */
    static final float INIT_STD = 0.02f;

    private MeterBench() {
    }

    /**
     * METER-base: d 768 (12 heads of 64), FFN 3072, RoBERTa 12 layers, CLIP ViT-B/16 (width 768) running its 11 of 12
     * blocks as METER does (§2), 6 fusion layers, adapters 96, PIAs 144, 3,129 VQA answers. The vocabulary is the
     * demo tokenizer's (381 rows): the embedding is a lookup, its size does not change the timing.
     */
    static MeterConfig meterBase(int imageSize) {
        return new MeterConfig(768, 12, 3072, 381, L + 2, 12, 1e-5, imageSize, 16, 768, 12, 11, 1e-5, 6, 1e-12, 96, 144, 2,
                3129, L);
    }

    /** Random weights straight into the model's manager: LayerNorms 1 and 0, everything else N(0, 0.02²). */
    static WeightSource random(MeterConfig c) {
        Map<String, long[]> layout = MeterLayout.tensors(c, new MeterLayout.Heads(true, false, false));
        return new WeightSource() {
            @Override
            public long[] shape(String name) {
                return layout.get(name);
            }

            @Override
            public NDArray load(String name, NDManager manager) {
                Shape s = new Shape(layout.get(name));
                boolean norm = name.contains("LayerNorm.") || name.contains(".ln_") || name.startsWith("vqa_classifier.1.");
                if (norm) {
                    return name.endsWith(".weight") ? manager.ones(s) : manager.zeros(s);
                }
                return manager.randomNormal(0f, INIT_STD, s, DataType.FLOAT32);
            }

            @Override
            public String describe() {
                return "random METER-base";
            }
        };
    }

    record Result(int batch, String set, double rowsPerSecond, double msPerBatch) {
    }

    public static void main(String[] args) {
        int imageSize = args.length > 0 ? Integer.parseInt(args[0]) : 224;
        int iterations64 = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int iterations1 = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        MeterConfig c = meterBase(imageSize);
        MeterSkipSet none = MeterSkipSet.none(c.fusionLayers());
        MeterSkipSet paper = MeterSkipSet.of(c.fusionLayers(), MeterSkipSet.PAPER_DEFAULT, MeterSkipSet.IndexMapping.INTENDED);
        List<Result> results = new ArrayList<>();
        long t0 = System.nanoTime();
        try (MeterModel model = MeterModel.load(c, random(c), Device.cpu())) {
            System.err.printf(Locale.ROOT, "loaded in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            for (int batch : new int[] {1, 64}) {
                int iterations = batch == 1 ? iterations1 : iterations64;
                double[][] seconds = interleaved(model, List.of(none, paper), batch, iterations, true);
                for (int k = 0; k < 2; k++) {
                    double median = median(seconds[k]);
                    String name = k == 0 ? "none" : "default 10-of-24";
                    results.add(new Result(batch, name, batch / median, median * 1000));
                    System.err.printf(Locale.ROOT, "batch %d %s: %s s per batch, median %.2f%n", batch, name,
                            java.util.Arrays.toString(seconds[k]), median);
                }
            }
        }
        double predicted = MeterFlops.perRow(c, L, none) / MeterFlops.perRow(c, L, paper);
        double fusionNone = fusion(c, none);
        double fusionPaper = fusion(c, paper);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Image %d px (%d image tokens), L = %d (%d real tokens), fp32, CPU; %.1f GFLOPs per row"
                + " without skipping, %.1f with the default set (fusion alone: %.2f vs %.2f GFLOPs).%n%n", imageSize, c.imageTokens(), L,
                REAL_TOKENS, MeterFlops.perRow(c, L, none) / 1e9, MeterFlops.perRow(c, L, paper) / 1e9, fusionNone / 1e9, fusionPaper / 1e9));
        md.append("| batch | skip set | ms per batch (median) | rows/s | speed-up measured | predicted (FLOPs) | % of predicted |\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < results.size(); i += 2) {
            Result base = results.get(i);
            Result eas = results.get(i + 1);
            double measured = eas.rowsPerSecond() / base.rowsPerSecond();
            md.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.2f | | | |%n", base.batch(), base.set(), base.msPerBatch(), base.rowsPerSecond()));
            md.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.2f | %.3fx | %.3fx | %.0f%% |%n", eas.batch(), eas.set(), eas.msPerBatch(),
                    eas.rowsPerSecond(), measured, predicted, 100 * measured / predicted));
        }
        System.out.print(md);
    }

    /** FLOPs of the fusion alone (what skipping changes): the whole row minus a model with no fusion layers' work. */
    static double fusion(MeterConfig c, MeterSkipSet set) {
        double total = 0;
        for (int i = 0; i < c.fusionLayers(); i++) {
            total += MeterFlops.layer(c, L, c.imageTokens(), set.textSelf(i), set.textCross(i));
            total += MeterFlops.layer(c, c.imageTokens(), L, set.imageSelf(i), set.imageCross(i));
        }
        return total;
    }

    /**
     * Seconds per forward of each set, the sets alternating within every iteration (and their order alternating
     * between iterations), so load from other processes on a shared machine falls on both alike. With
     * {@code warmUp}, one untimed forward of each set first.
     */
    static double[][] interleaved(MeterModel model, List<MeterSkipSet> sets, int batch, int iterations, boolean warmUp) {
        double[][] out = new double[sets.size()][iterations];
        if (warmUp) {
            for (MeterSkipSet set : sets) {
                forward(model, set, batch);
            }
        }
        for (int it = 0; it < iterations; it++) {
            for (int j = 0; j < sets.size(); j++) {
                int k = it % 2 == 0 ? j : sets.size() - 1 - j;
                out[k][it] = forward(model, sets.get(k), batch);
            }
        }
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Seconds of one forward (both encoders, fusion, pooler, VQA head) in its own scope: all arrays freed after. */
    static double forward(MeterModel model, MeterSkipSet set, int batch) {
        MeterConfig c = model.config();
        long[][] ids = new long[batch][L];
        for (int r = 0; r < batch; r++) {
            java.util.Arrays.fill(ids[r], 1); // <pad>
            ids[r][0] = 0;
            for (int k = 1; k < REAL_TOKENS - 1; k++) {
                ids[r][k] = 4 + (r * 7 + k * 13) % 370;
            }
            ids[r][REAL_TOKENS - 1] = 2;
        }
        try (NDManager scope = model.newScope()) {
            NDArray pixels = scope.randomNormal(0f, 1f, new Shape(batch, 3, c.imageSize(), c.imageSize()), DataType.FLOAT32);
            long start = System.nanoTime();
            NDArray logits = model.vqaLogits(model.fuse(ids, pixels, MeterModel.TYPE_IMAGE, set, scope).pooled());
            logits.toFloatArray(); // waits for the result
            return (System.nanoTime() - start) / 1e9;
        }
    }
}
