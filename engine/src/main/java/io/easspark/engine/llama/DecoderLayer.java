package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.eas.AdapterState;
import io.easspark.engine.eas.PiaAdapter;
import io.easspark.engine.eas.ReparamMode;

/**
 * One LaVIN-EAS decoder layer, kept or skipped (DESIGN.md §1.3). Every layer carries both PIA adapters; the skip
 * plan fixed at load says which one runs.
 *
 * <p>Letters: B batch rows, T new tokens, D width, F FFN hidden size.
 */
public final class DecoderLayer {

    /** Row pools for the adapters' statistics, each [B, 1, T] with 1/n on the positions averaged and 0 elsewhere. */
    public record Pools(NDArray router, NDArray all) {
    }

    /** What attention needs for the tokens of this step. */
    public record AttentionInputs(NDList rope, MultiHeadAttention.KeyValueStore store, NDArray mask) {
    }

    private final int index;
    private final boolean skipped;
    private final ReparamMode mode;
    private final double eps;
    private final NDArray attnNorm; // [D]
    private final NDArray ffnNorm; // [D]
    // each weight twice, as views of one storage: [out, in] for Linear, its transpose for the folds
    private NDArray wqkv; // [3D, D]
    private NDArray wqkvT; // [D, 3D]
    private NDArray bqkv; // [3D] or null
    private final NDArray wo; // [D, D]
    private final NDArray woT;
    private NDArray w13; // [2F, D]
    private NDArray w13T; // [D, 2F]
    private NDArray b13; // [2F] or null
    private final NDArray w2; // [D, F]
    private final NDArray w2T; // [F, D]
    private final PiaAdapter keptAdapter;
    private final PiaAdapter skippedAdapter;
    private final MultiHeadAttention attention;
    private NDArray pinnedRouter; // STATIC: [1, 1, 2]
    private NDArray meanProjT; // STATIC skipped layers: [r, 2F], maps the row's prompt mean m to its FFN bias

    /**
     * A layer over transposed weight views ([in, out]) whose storage is the checkpoint's [out, in]; call while the
     * weights' manager still accepts arrays (the [out, in] views are made here).
     */
    public DecoderLayer(int index, boolean skipped, ReparamMode mode, double eps, MultiHeadAttention attention,
            NDArray attnNorm, NDArray ffnNorm, NDArray wqkvT, NDArray bqkv, NDArray woT, NDArray w13T, NDArray b13,
            NDArray w2T, PiaAdapter keptAdapter, PiaAdapter skippedAdapter) {
        this(index, skipped, mode, eps, attention, attnNorm, ffnNorm, outIn(wqkvT), wqkvT, bqkv, outIn(woT), woT,
                outIn(w13T), w13T, b13, outIn(w2T), w2T, keptAdapter, skippedAdapter);
    }

    private DecoderLayer(int index, boolean skipped, ReparamMode mode, double eps, MultiHeadAttention attention,
            NDArray attnNorm, NDArray ffnNorm, NDArray wqkv, NDArray wqkvT, NDArray bqkv, NDArray wo, NDArray woT,
            NDArray w13, NDArray w13T, NDArray b13, NDArray w2, NDArray w2T, PiaAdapter keptAdapter,
            PiaAdapter skippedAdapter) {
        this.index = index;
        this.wqkv = wqkv;
        this.wo = wo;
        this.w13 = w13;
        this.w2 = w2;
        this.skipped = skipped;
        this.mode = mode;
        this.eps = eps;
        this.attention = attention;
        this.attnNorm = attnNorm;
        this.ffnNorm = ffnNorm;
        this.wqkvT = wqkvT;
        this.bqkv = bqkv;
        this.woT = woT;
        this.w13T = w13T;
        this.b13 = b13;
        this.w2T = w2T;
        this.keptAdapter = keptAdapter;
        this.skippedAdapter = skippedAdapter;
    }

    /**
     * This layer on the other path (kept or skipped), sharing every weight array: both adapters are loaded for every
     * layer, so switching is free. The redundancy search (DESIGN.md §2) evaluates plans this way.
     *
     * @throws IllegalStateException for STATIC, whose active adapter was folded into the shared weights at load
     */
    public DecoderLayer withSkipped(boolean skippedNow) {
        if (mode == ReparamMode.STATIC) {
            throw new IllegalStateException("layer " + index + " was folded at load (reparam static) and cannot switch"
                    + " between kept and skipped; use reparam lowrank");
        }
        return new DecoderLayer(index, skippedNow, mode, eps, attention, attnNorm, ffnNorm, wqkv, wqkvT, bqkv, wo, woT,
                w13, w13T, b13, w2, w2T, keptAdapter, skippedAdapter);
    }

    /** The [out, in] form of a transposed weight view; contiguous when the view came from a contiguous weight. */
    private static NDArray outIn(NDArray weightT) {
        return weightT.transpose();
    }

    /** A contiguous [out, in] copy of a freshly computed [in, out] weight (STATIC's folds). */
    private static NDArray contiguousOutIn(NDArray weightT) {
        Shape s = weightT.getShape();
        return weightT.transpose().flatten().reshape(s.get(1), s.get(0)); // flatten copies a non-contiguous view
    }

    public boolean isSkipped() {
        return skipped;
    }

    public int index() {
        return index;
    }

    /** The adapter that runs in this layer under the plan. */
    public PiaAdapter activeAdapter() {
        return skipped ? skippedAdapter : keptAdapter;
    }

    /**
     * STATIC: folds the adapter into the shared weights once (DESIGN.md §1.4), which needs a router that ignores its
     * input. Kept: {@code Wqkv' = Wqkv·M}, {@code b = Wqkv·c}. Skipped: {@code W13' = W13·diag(g)·M}, {@code b =
     * W13·(g⊙c)} with c's prompt-mean term added per row at prefill.
     */
    public void foldStatic(NDManager modelManager, String adapterName) {
        PiaAdapter adapter = activeAdapter();
        if (!adapter.routerPinned()) {
            throw new IllegalArgumentException("reparam static needs a pinned router, but " + adapterName
                    + ".expert_weights.weight of layer " + index + " is not zero (use lowrank)");
        }
        try (NDManager tmp = modelManager.newSubManager()) {
            NDArray w = adapter.routerWeights(tmp.zeros(new Shape(1, 1, attnNorm.getShape().get(0))));
            pinnedRouter = w;
            pinnedRouter.attach(modelManager);
            if (!skipped) {
                PiaAdapter.Affine f = adapter.keptAffine(tmp, w);
                NDArray newW = f.mT().matMul(wqkvT);
                NDArray newB = f.c().matMul(wqkvT).reshape(-1);
                if (bqkv != null) {
                    newB = newB.add(bqkv);
                }
                replaceAttention(modelManager, newW, newB);
            } else {
                PiaAdapter.Affine f = adapter.skippedAffine(tmp, w, null);
                NDArray gW = local(w13T, tmp).mul(ffnNorm.reshape(-1, 1)); // diag(g)·W13ᵀ
                NDArray newW = f.mT().matMul(gW);
                NDArray newB = f.c().mul(ffnNorm).matMul(w13T).reshape(-1);
                meanProjT = adapter.meanProjection(tmp, w, gW); // 0.5·U_wᵀ·diag(g)·W13ᵀ
                meanProjT.attach(modelManager);
                if (b13 != null) {
                    newB = newB.add(b13);
                }
                replaceFfn(modelManager, newW, newB);
            }
        }
    }

    private void replaceAttention(NDManager owner, NDArray wT, NDArray b) {
        NDArray w = contiguousOutIn(wT);
        w.attach(owner);
        b.attach(owner);
        wqkvT.close();
        wqkv.close();
        wqkv = w;
        wqkvT = w.transpose();
        wqkvT.attach(owner);
        bqkv = b;
    }

    private void replaceFfn(NDManager owner, NDArray wT, NDArray b) {
        NDArray w = contiguousOutIn(wT);
        w.attach(owner);
        b.attach(owner);
        w13T.close();
        w13.close();
        w13 = w;
        w13T = w.transpose();
        w13T.attach(owner);
        b13 = b;
    }

    /**
     * Fixes the adapter state at prefill from this layer's normalised input a [B, T, D]: router weights from the
     * mean over the row's prompt positions except the modality token; the skipped form's m from the mean over all
     * of them; folded weights where the mode folds per row.
     */
    private void initState(AdapterState st, NDArray a, Pools pools, NDManager batchScope) {
        PiaAdapter adapter = activeAdapter();
        NDArray pooled = pools.router().matMul(a); // [B, 1, D]
        NDArray w = mode == ReparamMode.STATIC
                ? local(pinnedRouter, batchScope).repeat(0, a.getShape().get(0)) : adapter.routerWeights(pooled);
        st.router = keep(w, batchScope);
        st.w0 = keep(w.get(":, :, 0:1"), batchScope);
        st.w1 = keep(w.get(":, :, 1:2"), batchScope);
        st.bias = keep(adapter.rowBias(w), batchScope);
        if (skipped) {
            st.promptMean = keep(adapter.promptMean(pools.all().matMul(a)), batchScope); // [B, 1, r]
        }
        if (mode == ReparamMode.LOWRANK) {
            PiaAdapter.RowMap map = adapter.rowMap(st.w0, st.w1, st.bias, st.promptMean);
            st.rowMap = new PiaAdapter.RowMap(keep(map.up(), batchScope), keep(map.shift(), batchScope));
        } else if (mode.perRowWeights()) {
            if (a.getShape().get(0) != 1) {
                throw new IllegalArgumentException("reparam " + mode.cliName() + " folds weights per row and needs batch size 1; got "
                        + a.getShape().get(0) + " (use lowrank)");
            }
            foldPerRow(st, batchScope);
        } else if (mode == ReparamMode.STATIC && skipped) {
            // W13·(g ⊙ 0.5·U_w·m) per row, through the rank-r map kept at fold time; static part included
            st.foldedBias = keep(st.promptMean.matMul(meanProjT).add(b13), batchScope); // [B, 1, 2F]
        }
    }

    /** MERGED / MERGED_BUG: the paper's batch-1 fold into weight copies for this row. */
    private void foldPerRow(AdapterState st, NDManager batchScope) {
        boolean bug = mode == ReparamMode.MERGED_BUG;
        PiaAdapter adapter = activeAdapter();
        if (!skipped) {
            PiaAdapter.Affine f = adapter.keptAffine(batchScope, st.router);
            // exact: b = W·c; the original code used the already-folded weight, b = W·M·c
            NDArray c = bug ? f.c().matMul(f.mT()) : f.c();
            st.foldedProjT = keep(f.mT().matMul(wqkvT), batchScope);
            NDArray b = c.matMul(wqkvT);
            st.foldedBias = keep(bqkv == null ? b.reshape(1, 1, -1) : b.add(bqkv).reshape(1, 1, -1), batchScope);
        } else {
            PiaAdapter.Affine f = adapter.skippedAffine(batchScope, st.router, st.promptMean);
            NDArray gc = f.c().mul(ffnNorm);
            // exact: b = W13·(g⊙c); the original: b = W13·diag(g)·M·(g⊙c)
            NDArray c = bug ? gc.matMul(f.mT()).mul(ffnNorm) : gc;
            st.foldedProjT = keep(f.mT().matMul(local(w13T, batchScope).mul(local(ffnNorm, batchScope).reshape(-1, 1))), batchScope);
            NDArray b = c.matMul(w13T);
            st.foldedBias = keep(b13 == null ? b.reshape(1, 1, -1) : b.add(b13).reshape(1, 1, -1), batchScope);
        }
    }

    /** A view of a model weight owned by {@code scope}, so arithmetic on it does not land in the model's manager. */
    private static NDArray local(NDArray weight, NDManager scope) {
        return Linear.lend(weight, scope);
    }

    private static NDArray keep(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    /**
     * Runs the layer on x [B, T, D].
     *
     * @param st the batch's state for this layer; filled when {@code pools} is given (prefill)
     * @param pools the prefill pools, or null during decoding
     * @param batchScope owns state that outlives this step
     */
    public NDArray forward(NDArray x, AdapterState st, Pools pools, AttentionInputs attn, NDManager batchScope) {
        NDArray a = RmsNorm.apply(x, attnNorm, eps); // a = RMSNorm_attn(x), every layer
        if (pools != null) {
            initState(st, a, pools, batchScope);
        }
        NDArray[] w = weightViews(st, batchScope);
        return skipped ? forwardSkipped(x, a, st, w) : forwardKept(x, a, st, attn, w);
    }

    /** Batch-owned views of this layer's [out, in] weights, made once per batch: {q/k/v, o, W1/W3, W2}. */
    private NDArray[] weightViews(AdapterState st, NDManager batchScope) {
        if (st.weightViews == null) {
            st.weightViews = new NDArray[] {local(wqkv, batchScope), local(wo, batchScope), local(w13, batchScope),
                local(w2, batchScope)};
        }
        return st.weightViews;
    }

    /** Kept layer: {@code h = x + Attn(a')}, {@code out = h + FFN(RMSNorm_ffn(h))}. */
    private NDArray forwardKept(NDArray x, NDArray a, AdapterState st, AttentionInputs attn, NDArray[] w) {
        NDArray qkv; // [B, T, 3D]
        switch (mode) {
            case LOWRANK -> {
                NDArray adapted = keptAdapter.apply(a, st.rowMap); // a' = a + U_w(A·a + bA) + s(w0·bB + w1·bD)
                qkv = Linear.apply(adapted, w[0], wqkvT, bqkv);
            }
            case MERGED, MERGED_BUG -> qkv = a.matMul(st.foldedProjT).add(st.foldedBias); // Wqkv·M·a + b
            case STATIC -> qkv = Linear.apply(a, w[0], wqkvT, bqkv); // folded once at load
            default -> throw new IllegalStateException(mode.name());
        }
        NDArray context = attention.forward(qkv, attn.rope(), attn.store(), attn.mask()); // [B, T, D]
        NDArray h = x.add(Linear.apply(context, w[1], woT));
        return h.add(FeedForward.apply(RmsNorm.apply(h, ffnNorm, eps), w[2], w13T, b13, w[3], w2T));
    }

    /**
     * Skipped layer: no MHA, no KV cache, no RoPE, no attention residual. {@code p = a + U_w(0.5(C·a + bC + m)) + ..},
     * {@code out = x + FFN(g_ffn ⊙ p)}: the FFN norm is not applied, only its gain.
     */
    private NDArray forwardSkipped(NDArray x, NDArray a, AdapterState st, NDArray[] w) {
        return switch (mode) {
            case LOWRANK -> {
                NDArray p = skippedAdapter.apply(a, st.rowMap); // a + U_w(0.5(C·a + bC + m)) + s(w0·bB + w1·bD)
                yield x.add(FeedForward.apply(p.mul(ffnNorm), w[2], w13T, b13, w[3], w2T));
            }
            // batch 1: decoding is one row (x·Wᵀ on the folded [in, out] weight); a prompt's rows read its transposed view
            case MERGED, MERGED_BUG -> x.add(FeedForward.apply(a, st.foldedProjT.transpose(), st.foldedProjT,
                    st.foldedBias, w[3], w2T));
            case STATIC -> x.add(FeedForward.apply(a, w[2], w13T, st.foldedBias, w[3], w2T));
            default -> throw new IllegalStateException(mode.name());
        };
    }
}
