package io.easspark.bench;

/**
 * One measured configuration of the engine, a plan at a batch size, with the work the FLOP model counts for it.
 *
 * @param plan the skip plan, as {@code SkipPlan.toString()} writes it
 * @param prefillFlops FLOPs of the whole batch's prefill
 * @param decodeBytesPerStep bytes one decode step reads (weights and the KV cache at the mean context)
 * @param torch the PyTorch eager reference for the same plan and batch, or null when it did not run
 */
record Row(String plan, int batch, int prompt, int newTokens, Timing timing, long kvBytesPerRow, double prefillFlops,
        double decodeBytesPerStep, TorchReference.Result torch) {

    double prefillTokS() {
        return (double) batch * prompt / timing.prefillSeconds();
    }

    double decodeTokS() {
        return (double) batch * newTokens / timing.decodeSeconds();
    }

    double answersPerSecond() {
        return timing.answersPerSecond(batch);
    }

    /** Arithmetic rate of the prefill, for comparison with the machine's matmul peak. */
    double prefillGflops() {
        return prefillFlops / timing.prefillSeconds() / 1e9;
    }

    /** Read rate of the decode steps, for comparison with the machine's memory bandwidth. */
    double decodeGBs() {
        return decodeBytesPerStep * newTokens / timing.decodeSeconds() / 1e9;
    }
}
