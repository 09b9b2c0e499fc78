package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import io.easspark.engine.llama.MultiHeadAttention;
import io.easspark.engine.model.WeightReader;

/**
 * One stream's co-attention layer (DESIGN-METER.md §3.2–3.3): post-LN BERT self-attention, cross-attention into
 * the other stream, FFN, each kept module behind its {@link KeptAdapter}; a skipped self- or cross-attention is
 * replaced by its {@link MeterPia}, and its output LayerNorm still runs.
 *
 * <p>Letters: B rows, T own tokens, N other stream's tokens, d width.
 */
final class CoAttentionLayer {

    private final NDIndex keys;
    private final NDIndex values;

    private final MultiHeadAttention attention;
    // self-attention
    private final NDArray selfQkvT; // [d, 3d]
    private final NDArray selfQkvB; // [3d]
    private final Affine selfOut;
    private final Norm selfNorm;
    private final KeptAdapter selfAdapter;
    private final MeterPia selfPia;
    // cross-attention
    private final Affine crossQuery;
    private final NDArray crossKvT; // [d, 2d]
    private final NDArray crossKvB; // [2d]
    private final Affine crossOut;
    private final Norm crossNorm;
    private final KeptAdapter crossAdapter;
    private final MeterPia crossPia;
    // FFN
    private final KeptAdapter ffnAdapter;
    private final Affine intermediate;
    private final Affine output;
    private final Norm outputNorm;

    private CoAttentionLayer(int d, MultiHeadAttention attention, NDArray selfQkvT, NDArray selfQkvB, Affine selfOut,
            Norm selfNorm, KeptAdapter selfAdapter, MeterPia selfPia, Affine crossQuery, NDArray crossKvT,
            NDArray crossKvB, Affine crossOut, Norm crossNorm, KeptAdapter crossAdapter, MeterPia crossPia,
            KeptAdapter ffnAdapter, Affine intermediate, Affine output, Norm outputNorm) {
        this.keys = new NDIndex("..., :" + d);
        this.values = new NDIndex("..., " + d + ":");
        this.attention = attention;
        this.selfQkvT = selfQkvT;
        this.selfQkvB = selfQkvB;
        this.selfOut = selfOut;
        this.selfNorm = selfNorm;
        this.selfAdapter = selfAdapter;
        this.selfPia = selfPia;
        this.crossQuery = crossQuery;
        this.crossKvT = crossKvT;
        this.crossKvB = crossKvB;
        this.crossOut = crossOut;
        this.crossNorm = crossNorm;
        this.crossAdapter = crossAdapter;
        this.crossPia = crossPia;
        this.ffnAdapter = ffnAdapter;
        this.intermediate = intermediate;
        this.output = output;
        this.outputNorm = outputNorm;
    }

    /** Reads {@code prefix} = {@code cross_modal_text_layers.i.} or {@code cross_modal_image_layers.i.}. */
    static CoAttentionLayer read(WeightReader r, String prefix, MeterConfig c, MultiHeadAttention attention) {
        int d = c.hidden();
        int g = c.adapterGroups();
        double eps = c.fusionLnEps();
        String a = prefix + "attention.";
        String x = prefix + "crossattention.";
        NDArray selfQkvT = NDArrays.concat(new NDList(
                r.readTransposed(a + "self.query.weight", d, d),
                r.readTransposed(a + "self.key.weight", d, d),
                r.readTransposed(a + "self.value.weight", d, d)), 1);
        NDArray selfQkvB = NDArrays.concat(new NDList(
                r.read(a + "self.query.bias", d), r.read(a + "self.key.bias", d), r.read(a + "self.value.bias", d)));
        NDArray crossKvT = NDArrays.concat(new NDList(
                r.readTransposed(x + "self.key.weight", d, d), r.readTransposed(x + "self.value.weight", d, d)), 1);
        NDArray crossKvB = NDArrays.concat(new NDList(r.read(x + "self.key.bias", d), r.read(x + "self.value.bias", d)));
        return new CoAttentionLayer(d, attention,
                selfQkvT, selfQkvB, Affine.read(r, a + "output.dense", d, d), Norm.read(r, a + "output.LayerNorm", d, eps),
                KeptAdapter.read(r, a + "adapter", d, c.adapterHidden(), g),
                MeterPia.read(r, prefix + "adapter_self_attn", d, c.piaHidden(), g),
                Affine.read(r, x + "self.query", d, d), crossKvT, crossKvB,
                Affine.read(r, x + "output.dense", d, d), Norm.read(r, x + "output.LayerNorm", d, eps),
                KeptAdapter.read(r, x + "adapter", d, c.adapterHidden(), g),
                MeterPia.read(r, prefix + "adapter_cross_attn", d, c.piaHidden(), g),
                KeptAdapter.read(r, prefix + "intermediate.adapter", d, c.adapterHidden(), g),
                Affine.read(r, prefix + "intermediate.dense", c.intermediate(), d),
                Affine.read(r, prefix + "output.dense", d, c.intermediate()),
                Norm.read(r, prefix + "output.LayerNorm", d, eps));
    }

    /**
     * @param h this stream's layer input [B, T, d]
     * @param o the other stream's layer input [B, N, d]
     * @param mask additive key mask of this stream [B, 1, 1, T], or null (image: no padding)
     * @param otherMask additive key mask of the other stream [B, 1, 1, N], or null
     * @param skipSelf replace the self-attention by its PIA
     * @param skipCross replace the cross-attention by its PIA
     * @return [B, T, d]
     */
    NDArray forward(NDArray h, NDArray o, NDArray mask, NDArray otherMask, boolean skipSelf, boolean skipCross) {
        // self-attention: h1 = LN_att(h + Wo·Attn(Ad_att(h)) + bo), or skipped: LN_att(h + PIA(h, h))
        NDArray h1;
        if (skipSelf) {
            h1 = selfNorm.apply(h.add(selfPia.apply(h, h)));
        } else {
            NDArray qkv = selfAdapter.apply(h).matMul(selfQkvT).add(selfQkvB); // [B, T, 3d]
            h1 = selfNorm.apply(h.add(selfOut.apply(attention.forward(qkv, (NDList) null, null, mask))));
        }
        // cross-attention: h2 = LN_cross(h1 + Wo'·Attn(q = Ad_cross(h1); k, v = o) + bo'),
        // or skipped: LN_cross(h1 + PIA(h, o)) — the layer input h and the OTHER stream's mean
        NDArray h2;
        if (skipCross) {
            h2 = crossNorm.apply(h1.add(crossPia.apply(h, o)));
        } else {
            NDArray q = crossQuery.apply(crossAdapter.apply(h1)); // [B, T, d]
            NDArray kv = o.matMul(crossKvT).add(crossKvB); // [B, N, 2d]
            NDArray context = attention.attend(q, kv.get(keys), kv.get(values), otherMask); // [B, T, d]
            h2 = crossNorm.apply(h1.add(crossOut.apply(context)));
        }
        // FFN: out = LN_out(h2 + W2·gelu(W1·Ad_ffn(h2) + b1) + b2), GELU in its erf form
        NDArray f = output.apply(Activation.gelu(intermediate.apply(ffnAdapter.apply(h2)))); // [B, T, d]
        return outputNorm.apply(h2.add(f));
    }
}
