package io.easspark.bench;

import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.LlamaConfig;

/**
 * Counts the work of the decoder for a plan: FLOPs (multiply-add = 2) for prefill, bytes read for decoding (fp32
 * weights plus the KV cache). The predicted EAS speed-up is the ratio of these counts without and with skipping.
 */
record CostModel(LlamaConfig c, AdapterConfig a, SkipPlan plan) {

    private static final int FP32 = 4;

    /** FLOPs of a prefill of {@code rows} prompts of {@code tokens} tokens (logits for the last position only). */
    double prefillFlops(int rows, int tokens) {
        double d = c.dim();
        double f = c.ffnHidden();
        double perTokenKept = 2 * (4 * d * d + 3 * d * f + 3 * d * a.keptRank());
        double perTokenSkipped = 2 * (3 * d * f + 4 * d * a.skippedRank());
        double attention = 2 * 2 * d * tokens * (tokens + 1) / 2.0; // QKᵀ and PV over the causal half
        double layers = plan.keptCount() * (perTokenKept * tokens + attention) + plan.skippedCount() * perTokenSkipped * tokens;
        return rows * (layers + 2 * d * c.vocabSize());
    }

    /** Bytes read by one decode step at context length {@code context}: every weight once, each row's KV cache. */
    double decodeBytes(int rows, int context) {
        double d = c.dim();
        double f = c.ffnHidden();
        double kept = (4 * d * d + 3 * d * f) * FP32;
        double skipped = 3 * d * f * FP32;
        double kv = 2.0 * context * d * FP32 * rows;
        return plan.keptCount() * (kept + kv) + plan.skippedCount() * skipped + d * c.vocabSize() * FP32;
    }

    /** FLOPs of one decode step for {@code rows} rows. */
    double decodeFlops(int rows, int context) {
        double d = c.dim();
        double f = c.ffnHidden();
        double kept = 2 * (4 * d * d + 3 * d * f) + 2 * 2 * d * context;
        double skipped = 2 * 3 * d * f;
        return rows * (plan.keptCount() * kept + plan.skippedCount() * skipped + 2 * d * c.vocabSize());
    }

    /** KV-cache bytes one row needs at {@code context} positions (kept layers only). */
    long kvBytesPerRow(int context) {
        return (long) plan.keptCount() * 2L * context * c.dim() * FP32;
    }
}
