package io.easspark.engine.eas;

import ai.djl.ndarray.NDArray;

/**
 * What one decoder layer's adapter fixes at prefill for a batch and keeps for the whole generation (DESIGN.md
 * §1.3): router weights from the row's prompt mean, the skipped form's prompt mean m, and — for folded modes —
 * the per-row weights or biases. Fields are null where the mode does not use them.
 *
 * <p>Letters: B batch rows, D width, r rank, P the projection the fold targets (3D for q/k/v, 2F for W1/W3).
 */
public final class AdapterState {

    /** Router weights [B, 1, 2] (fp32), kept whole for reporting. */
    public NDArray router;
    /** w0 and w1 [B, 1, 1]. */
    public NDArray w0;
    public NDArray w1;
    /** {@code s(w0·bB + w1·bD)} [B, 1, D]. */
    public NDArray bias;
    /** Skipped form: {@code m = mean_t(A·a_t + bA)} [B, 1, r]. */
    public NDArray promptMean;
    /** LOWRANK: the rows' low-rank map with every constant folded in. */
    public PiaAdapter.RowMap rowMap;
    /** MERGED: the row's folded projection, transposed [D, P]. */
    public NDArray foldedProjT;
    /** MERGED: the row's folded bias [1, 1, P]; STATIC skipped layers: the per-row m term [B, 1, P]. */
    public NDArray foldedBias;

    /**
     * The layer's [out, in] weights (q/k/v, o, W1/W3, W2) as views owned by the batch: a product with the weight as
     * its first operand belongs to the first operand's manager, and the model's is closed to new arrays.
     */
    public NDArray[] weightViews;

    public boolean initialised() {
        return router != null;
    }
}
