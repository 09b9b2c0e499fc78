package io.easspark.engine.eas;

import io.easspark.engine.llama.LlamaConfig;

/**
 * Counts the decoder's work under a skip plan: FLOPs (a multiply-add counts 2) for prefill and decoding, bytes read
 * for decoding (fp32 weights plus the KV cache). Prefill is compute-bound and decoding memory-bound, so the
 * predicted EAS speed-ups are the ratios of prefill FLOPs and of decode bytes without and with skipping.
 *
 * @param c decoder sizes
 * @param a adapter sizes
 * @param plan the skip plan; must be for {@code c}'s layer count
 */
public record FlopModel(LlamaConfig c, AdapterConfig a, SkipPlan plan) {

    private static final int FP32 = 4;

    public FlopModel {
        if (plan.layerCount() != c.nLayers()) {
            throw new IllegalArgumentException("skip plan is for " + plan.layerCount() + " layers but the model has " + c.nLayers());
        }
    }

    /** FLOPs of a prefill of {@code rows} prompts of {@code tokens} tokens (logits for the last position only). */
    public double prefillFlops(int rows, int tokens) {
        double d = c.dim();
        double f = c.ffnHidden();
        double perTokenKept = 2 * (4 * d * d + 3 * d * f + 3 * d * a.keptRank());
        double perTokenSkipped = 2 * (3 * d * f + 4 * d * a.skippedRank());
        double attention = 2 * 2 * d * tokens * (tokens + 1) / 2.0; // QKᵀ and PV over the causal half
        double layers = plan.keptCount() * (perTokenKept * tokens + attention) + plan.skippedCount() * perTokenSkipped * tokens;
        return rows * (layers + 2 * d * c.vocabSize());
    }

    /** Bytes read by one decode step at context length {@code context}: every weight once, each row's KV cache. */
    public double decodeBytes(int rows, int context) {
        double d = c.dim();
        double f = c.ffnHidden();
        double kept = (4 * d * d + 3 * d * f) * FP32;
        double skipped = 3 * d * f * FP32;
        double kv = 2.0 * context * d * FP32 * rows;
        return plan.keptCount() * (kept + kv) + plan.skippedCount() * skipped + d * c.vocabSize() * FP32;
    }

    /** FLOPs of one decode step for {@code rows} rows. */
    public double decodeFlops(int rows, int context) {
        double d = c.dim();
        double f = c.ffnHidden();
        double kept = 2 * (4 * d * d + 3 * d * f) + 2 * 2 * d * context;
        double skipped = 2 * 3 * d * f;
        return rows * (plan.keptCount() * kept + plan.skippedCount() * skipped + 2 * d * c.vocabSize());
    }

    /** KV-cache bytes one row needs at {@code context} positions (kept layers only). */
    public long kvBytesPerRow(int context) {
        return (long) plan.keptCount() * 2L * context * c.dim() * FP32;
    }

    /** Prefill FLOPs without skipping over prefill FLOPs with {@code plan}, for one prompt of {@code tokens}. */
    public static double predictedPrefillSpeedup(LlamaConfig c, AdapterConfig a, SkipPlan plan, int tokens) {
        return new FlopModel(c, a, SkipPlan.none(c.nLayers())).prefillFlops(1, tokens) / new FlopModel(c, a, plan).prefillFlops(1, tokens);
    }

    /** Decode bytes without skipping over decode bytes with {@code plan}, one row at {@code context} positions. */
    public static double predictedDecodeSpeedup(LlamaConfig c, AdapterConfig a, SkipPlan plan, int context) {
        return new FlopModel(c, a, SkipPlan.none(c.nLayers())).decodeBytes(1, context) / new FlopModel(c, a, plan).decodeBytes(1, context);
    }
}
