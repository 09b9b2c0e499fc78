package io.easspark.engine.eas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.llama.Linear;

/**
 * A propagation-of-information adapter (PIA) with its router (DESIGN.md §1.1, §1.3).
 *
 * <p>Kept form (in front of an MHA): {@code a' = a + U_w(A·a + bA) + s(w0·bB + w1·bD)}. Skipped form (replacing
 * the MHA): {@code p = a + U_w(0.5·(C·a + bC + m)) + s(w0·bB + w1·bD)}, {@code m = mean_t(A·a_t + bA)}. Here
 * {@code U_w = s(w0·B + w1·D)} and {@code w = softmax((E·ā + bE)/T)}. B and D are grouped 1×1 convolutions,
 * stored as dense block-diagonal matrices.
 *
 * <p>Letters: B batch rows, T tokens, D width, r bottleneck rank.
 */
public final class PiaAdapter {

    /** The 0.5 of the skipped form, which averages the token's C-projection with the prompt mean m. */
    private static final float SKIPPED_MIX = 0.5f;

    private final NDArray aT; // [D, r]
    private final NDArray bA; // [r]
    private final NDArray cT; // [D, r] or null in the kept form
    private final NDArray bC; // [r] or null
    private final NDArray upT; // [2r, D] = s·[Bᵀ; Dᵀ]
    private final NDArray upBias; // [2, D] = s·[bB; bD]
    private final NDArray routerT; // [D, 2]
    private final NDArray routerBias; // [2]
    private final float invTemperature;
    private final boolean routerPinned;
    private final int rank;
    private final int width;

    private PiaAdapter(NDArray aT, NDArray bA, NDArray cT, NDArray bC, NDArray upT, NDArray upBias,
            NDArray routerT, NDArray routerBias, double temperature, boolean routerPinned) {
        this.aT = aT;
        this.bA = bA;
        this.cT = cT;
        this.bC = bC;
        this.upT = upT;
        this.upBias = upBias;
        this.routerT = routerT;
        this.routerBias = routerBias;
        this.invTemperature = (float) (1.0 / temperature);
        this.routerPinned = routerPinned;
        this.rank = (int) aT.getShape().get(1);
        this.width = (int) aT.getShape().get(0);
    }

    /** Raw adapter tensors in checkpoint layout; C and its bias are null for the kept form. */
    public record Tensors(NDArray a, NDArray bA, NDArray b, NDArray bB, NDArray d, NDArray bD,
                          NDArray c, NDArray bC, NDArray e, NDArray bE) {
    }

    /**
     * Builds the adapter from checkpoint layout: A, C [r, D]; B, D [D, r/groups] grouped; E [2, D].
     *
     * @param manager owns the derived weights (the caller's model manager)
     */
    public static PiaAdapter create(NDManager manager, Tensors t, int groups, double scale, double temperature) {
        int r = (int) t.a().getShape().get(0);
        int d = (int) t.a().getShape().get(1);
        NDArray up = NDArrays.concat(new NDList(
                blockDiagonal(manager, t.b(), groups, d, r).transpose(),
                blockDiagonal(manager, t.d(), groups, d, r).transpose()), 0).mul((float) scale); // [2r, D]
        NDArray upBias = NDArrays.stack(new NDList(t.bB(), t.bD()), 0).mul((float) scale); // [2, D]
        boolean pinned = t.e().abs().max().getFloat() == 0f;
        PiaAdapter adapter = new PiaAdapter(
                copy(t.a().transpose()), copy(t.bA()),
                t.c() == null ? null : copy(t.c().transpose()), t.bC() == null ? null : copy(t.bC()),
                up, upBias, copy(t.e().transpose()), copy(t.bE()), temperature, pinned);
        for (NDArray a : new NDArray[] {adapter.aT, adapter.bA, adapter.cT, adapter.bC, adapter.upT, adapter.upBias,
            adapter.routerT, adapter.routerBias}) {
            if (a != null) {
                a.attach(manager);
            }
        }
        return adapter;
    }

    /**
     * An owned copy that stays on the autograd graph: DJL's {@code duplicate()} (libtorch clone through its JNI)
     * came back without a gradient path in a training forward (measured: A, C and the router got no gradient).
     */
    private static NDArray copy(NDArray x) {
        return x.toType(x.getDataType(), true);
    }

    /**
     * Grouped 1×1 conv weight [D, r/groups] as a dense [D, r] matrix: output half g reads input half g (contiguous
     * halves, not interleaved channels; DESIGN.md §1.3).
     */
    public static NDArray blockDiagonal(NDManager manager, NDArray grouped, int groups, int d, int r) {
        // built from array ops (slices, zeros, concatenations), not Java copies, so a training forward's gradient
        // reaches the grouped weight; the values are copies either way
        NDArray w = grouped.toType(DataType.FLOAT32, false); // [D, r/groups]
        int inPerGroup = r / groups;
        int outPerGroup = d / groups;
        NDList rows = new NDList(groups);
        for (int g = 0; g < groups; g++) {
            NDArray block = w.get(g * outPerGroup + ":" + (g + 1) * outPerGroup); // [D/groups, r/groups]
            NDList cols = new NDList(3);
            if (g > 0) {
                cols.add(manager.zeros(new Shape(outPerGroup, (long) g * inPerGroup)));
            }
            cols.add(block);
            if (g < groups - 1) {
                cols.add(manager.zeros(new Shape(outPerGroup, (long) (groups - 1 - g) * inPerGroup)));
            }
            rows.add(cols.size() == 1 ? block : NDArrays.concat(cols, 1));
        }
        NDArray dense = groups == 1 ? copy(w) : NDArrays.concat(rows, 0); // [D, r]
        dense.attach(manager);
        return dense;
    }

    public int rank() {
        return rank;
    }

    public boolean isSkippedForm() {
        return cT != null;
    }

    /** True when the router ignores its input (E = 0), so w is the same for every row: STATIC can fold. */
    public boolean routerPinned() {
        return routerPinned;
    }

    /** Router weights {@code softmax((E·ā + bE)/T)} in fp32; pooled [B, 1, D] → [B, 1, 2]. */
    public NDArray routerWeights(NDArray pooled) {
        NDArray x = pooled.toType(DataType.FLOAT32, false);
        return x.matMul(routerT).add(routerBias).mul(invTemperature).softmax(-1);
    }

    /** The row's constant term {@code s(w0·bB + w1·bD)}: w [B, 1, 2] → [B, 1, D]. */
    public NDArray rowBias(NDArray w) {
        return w.matMul(upBias);
    }

    /** {@code A·a + bA}: [B, T, D] → [B, T, r]. */
    public NDArray down(NDArray a) {
        return a.matMul(aT).add(bA);
    }

    /** The skipped form's mean {@code m = mean_t(A·a_t + bA)} from the pooled a [B, 1, D]; linear, so pooling first is exact. */
    public NDArray promptMean(NDArray pooledA) {
        return down(pooledA);
    }

    /**
     * {@code U_w·h}: h [B, T, r] → [B, T, D], as one GEMM over [w0·h, w1·h].
     *
     * @param w0 first router weight [B, 1, 1]
     * @param w1 second router weight [B, 1, 1]
     */
    public NDArray up(NDArray h, NDArray w0, NDArray w1) {
        return NDArrays.concat(new NDList(h.mul(w0), h.mul(w1)), h.getShape().dimension() - 1).matMul(upT);
    }

    /** Kept form: {@code a + U_w(A·a + bA) + bias}. a [B, T, D], w0/w1 [B, 1, 1], bias [B, 1, D]. */
    public NDArray kept(NDArray a, NDArray w0, NDArray w1, NDArray bias) {
        return a.add(up(down(a), w0, w1)).add(bias);
    }

    /** Skipped form: {@code a + U_w(0.5·(C·a + bC + m)) + bias}; m [B, 1, r]. */
    public NDArray skipped(NDArray a, NDArray w0, NDArray w1, NDArray m, NDArray bias) {
        NDArray h = a.matMul(cT).add(bC).add(m).mul(SKIPPED_MIX);
        return a.add(up(h, w0, w1)).add(bias);
    }

    /**
     * The rows' low-rank map fixed for a batch: {@code p = a + a·down·up + shift}, with up = U_wᵀ per row (times
     * 0.5 in the skipped form) and every constant folded into shift. Same math as {@link #kept} and {@link #skipped},
     * in 4 ops per token instead of 8 to 10 (the router weights are fixed at prefill, so U_w is a per-row matrix).
     *
     * @param up [B, r, D]
     * @param shift [B, 1, D]
     */
    public record RowMap(NDArray up, NDArray shift) {
    }

    /**
     * Builds the {@link RowMap} of a batch from its router weights w0/w1 [B, 1, 1], the row bias [B, 1, D] and, in the
     * skipped form, the prompt mean m [B, 1, r]. Results belong to w0's manager.
     */
    public RowMap rowMap(NDArray w0, NDArray w1, NDArray bias, NDArray m) {
        NDManager scope = w0.getManager();
        NDArray upB = upT.get(scope, new NDIndex("0:" + rank)); // s·Bᵀ [r, D]
        NDArray upD = upT.get(scope, new NDIndex(rank + ":"));
        NDArray up = w0.mul(upB).add(w1.mul(upD)); // [B, r, D]
        NDArray constant; // [B, 1, r]: the bias of the rank-r input
        if (isSkippedForm()) {
            up = up.mul(SKIPPED_MIX);
            constant = Linear.lend(bC, scope).reshape(1, 1, rank).add(m);
        } else {
            constant = Linear.lend(bA, scope).reshape(1, 1, rank).repeat(0, w0.getShape().get(0));
        }
        return new RowMap(up, constant.matMul(up).add(bias));
    }

    /** {@code a + (a·down)·up + shift} for a [B, T, D] with the batch's {@link RowMap}. */
    public NDArray apply(NDArray a, RowMap map) {
        return a.matMul(isSkippedForm() ? cT : aT).matMul(map.up()).add(a).add(map.shift());
    }

    /** The affine map {@code p = M·a + c} of one row, transposed for row-vector use: {@code p = a·Mᵀ + c}. */
    public record Affine(NDArray mT, NDArray c) {
    }

    /** {@code U_wᵀ} [r, D] for the router weights of one row, w [1, 1, 2], in the scope's manager. */
    private NDArray upTransposed(NDManager scope, NDArray w) {
        float w0 = w.getFloat(0, 0, 0);
        float w1 = w.getFloat(0, 0, 1);
        return upT.get(scope, new NDIndex("0:" + rank)).mul(w0).add(upT.get(scope, new NDIndex(rank + ":")).mul(w1));
    }

    /**
     * The kept form as an affine map for one row: {@code Mᵀ = I + Aᵀ·U_wᵀ}, {@code c = bA·U_wᵀ + bias}.
     *
     * @param scope owns the results
     * @param w [1, 1, 2]
     */
    public Affine keptAffine(NDManager scope, NDArray w) {
        NDArray uT = upTransposed(scope, w);
        NDArray mT = aT.get(scope, new NDIndex(":")).matMul(uT).add(scope.eye(width));
        NDArray c = bA.get(scope, new NDIndex(":")).reshape(1, rank).matMul(uT).add(rowBias(w).reshape(1, width));
        return new Affine(mT, c);
    }

    /**
     * The skipped form as an affine map for one row: {@code Mᵀ = I + 0.5·Cᵀ·U_wᵀ}, {@code c = 0.5·(bC + m)·U_wᵀ + bias}.
     * With m null the m term is left out (STATIC adds it per row, see {@link #meanShift}).
     */
    public Affine skippedAffine(NDManager scope, NDArray w, NDArray m) {
        NDArray uT = upTransposed(scope, w);
        NDArray mT = cT.get(scope, new NDIndex(":")).matMul(uT).mul(SKIPPED_MIX).add(scope.eye(width));
        NDArray shift = bC.get(scope, new NDIndex(":")).reshape(1, rank);
        if (m != null) {
            shift = shift.add(m.reshape(1, rank));
        }
        NDArray c = shift.matMul(uT).mul(SKIPPED_MIX).add(rowBias(w).reshape(1, width));
        return new Affine(mT, c);
    }

    /**
     * The prompt-mean part of the skipped form's c is {@code 0.5·m·U_wᵀ}: rank r. Returns {@code 0.5·U_wᵀ·next}
     * [r, P] for a following projection {@code next} [D, P], so a row's share is {@code m·result}, computed in r
     * dimensions without keeping the unfolded weight.
     */
    public NDArray meanProjection(NDManager scope, NDArray wPinned, NDArray next) {
        return upTransposed(scope, wPinned).mul(SKIPPED_MIX).matMul(next);
    }
}
