package io.easspark.engine.meter;

/**
 * Multiply-add FLOPs (2 per multiply-accumulate) of one METER-EAS row: RoBERTa, the ViT, the transforms, the six
 * co-attention layers per stream with kept or skipped (PIA) attentions (DESIGN-METER.md §2-§4), poolers and the VQA
 * head. Element-wise work (LayerNorm, softmax, GELU) is left out: it is a few percent and the same with or without
 * skipping. The prediction of a skip set's speed-up is FLOPs(none) / FLOPs(set) ({@link #predictedSpeedup}). Used by
 * the benchmark and by calibrate's curve.
 */
public final class MeterFlops {

    private MeterFlops() {
    }

    /** FLOPs of one row with {@code l} text tokens (METER pads to L and computes pads too, §2). */
    public static double perRow(MeterConfig c, int l, MeterSkipSet skips) {
        double d = c.hidden();
        double f = c.intermediate();
        double w = c.vitWidth();
        double t = c.imageTokens();
        double p = c.patchSize();
        double total = 0;
        // RoBERTa: per layer q, k, v, o; scores and weighted values; FFN
        total += c.textLayers() * (8 * l * d * d + 4.0 * l * l * d + 4 * l * d * f);
        // ViT: patch embedding, then per block fused in_proj, out_proj, scores and values, MLP 4w
        total += 2 * (t - 1) * w * 3 * p * p;
        total += c.vitBlocks() * (8 * t * w * w + 4 * t * t * w + 16 * t * w * w);
        // transforms into the fusion width
        total += 2 * l * d * d + 2 * t * w * d;
        for (int i = 0; i < c.fusionLayers(); i++) {
            total += layer(c, l, t, skips.textSelf(i), skips.textCross(i));
            total += layer(c, t, l, skips.imageSelf(i), skips.imageCross(i));
        }
        // poolers and the VQA head (Linear 2d→2d, Linear 2d→labels)
        total += 2 * 2 * d * d + 2 * (2 * d) * (2 * d) + 2 * (2 * d) * c.vqaLabels();
        return total;
    }

    /** One co-attention layer of a stream of {@code n} tokens attending to {@code m} tokens of the other stream. */
    public static double layer(MeterConfig c, double n, double m, boolean skipSelf, boolean skipCross) {
        double d = c.hidden();
        double total = 0;
        // self-attention: kept = adapter on the input, q k v o, scores and values; skipped = PIA(h, h)
        total += skipSelf ? pia(c, n, n) : adapter(c, n) + 8 * n * d * d + 4 * n * n * d;
        // cross-attention: kept = adapter on q, q and o on own tokens, k and v on the other's; skipped = PIA(h, o)
        total += skipCross ? pia(c, n, m) : adapter(c, n) + 4 * n * d * d + 4 * m * d * d + 4 * n * m * d;
        // FFN with its adapter
        total += adapter(c, n) + 4 * n * d * c.intermediate();
        return total;
    }

    /** Kept-module adapter: C d→r, grouped B r→d (each output reads r / groups inputs). */
    public static double adapter(MeterConfig c, double n) {
        double d = c.hidden();
        return 2 * n * d * c.adapterHidden() + 2 * n * d * ((double) c.adapterHidden() / c.adapterGroups());
    }

    /** PIA: C on x0 (n tokens), A on x1 (m tokens, then a mean), grouped B on n tokens (§3.3). */
    public static double pia(MeterConfig c, double n, double m) {
        double d = c.hidden();
        return 2 * n * d * c.piaHidden() + 2 * m * d * c.piaHidden() + 2 * n * d * ((double) c.piaHidden() / c.adapterGroups());
    }

    /** FLOPs(none) / FLOPs(skips) for rows of {@code l} text tokens: the speed-up the FLOP count predicts. */
    public static double predictedSpeedup(MeterConfig c, int l, MeterSkipSet skips) {
        return perRow(c, l, MeterSkipSet.none(c.fusionLayers())) / perRow(c, l, skips);
    }
}
