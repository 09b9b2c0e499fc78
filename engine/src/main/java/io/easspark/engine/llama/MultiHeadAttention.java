package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product multi-head attention shared by the LLaMA decoder, the CLIP ViTs and METER's encoders.
 *
 * <p>Letters: B batch rows, T new tokens, S keys (cached plus new), H heads, Dh head size.
 */
public final class MultiHeadAttention {

    /**
     * @param heads H
     * @param headDim Dh
     */
    public record Spec(int heads, int headDim) {
        public Spec {
            if (heads <= 0 || headDim <= 0) {
                throw new IllegalArgumentException("attention needs positive heads and head size: " + heads + ", " + headDim);
            }
        }

        public int width() {
            return heads * headDim;
        }
    }

    /** Where new keys and values go: the caller's cache for one layer, or nothing (full recompute, ViT). */
    public interface KeyValueStore {
        /** Stores k, v [B, H, T, Dh] and returns all keys and values so far, each [B, H, S, Dh]. */
        NDList append(NDArray k, NDArray v);
    }

    // parsed once: DJL parses a string index on every call, and these run for every layer at every step
    private static final NDIndex QK = new NDIndex(":, :, 0:2");
    private static final NDIndex FIRST = new NDIndex(":, :, 0");
    private static final NDIndex SECOND = new NDIndex(":, :, 1");
    private static final NDIndex THIRD = new NDIndex(":, :, 2");

    private final Spec spec;
    private final float scale;

    public MultiHeadAttention(Spec spec) {
        this.spec = spec;
        this.scale = (float) (1.0 / Math.sqrt(spec.headDim()));
    }

    public Spec spec() {
        return spec;
    }

    /**
     * @param qkv [B, T, 3·H·Dh] projected queries, keys, values (in that order)
     * @param rope angles for the new tokens from {@link RopeTable#angles}, or null (ViT)
     * @param store the layer's KV cache, or null
     * @param mask additive mask [B, 1, T, S] (0 or −∞), or null for none
     * @return [B, T, H·Dh]
     */
    public NDArray forward(NDArray qkv, NDList rope, KeyValueStore store, NDArray mask) {
        Shape s = qkv.getShape();
        long b = s.get(0);
        long t = s.get(1);
        NDArray heads = qkv.reshape(b, t, 3, spec.heads(), spec.headDim()); // [B, T, 3, H, Dh]
        NDArray q;
        NDArray k;
        if (rope != null) {
            NDArray qk = RopeTable.rotate(heads.get(QK), rope); // [B, T, 2, H, Dh], one rotation for both
            q = qk.get(FIRST);
            k = qk.get(SECOND);
        } else {
            q = heads.get(FIRST); // [B, T, H, Dh]
            k = heads.get(SECOND);
        }
        NDArray v = heads.get(THIRD);
        q = q.transpose(0, 2, 1, 3); // [B, H, T, Dh]
        k = k.transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        if (store != null) {
            NDList all = store.append(k, v);
            k = all.get(0); // [B, H, S, Dh]
            v = all.get(1);
        }
        return core(q, k, v, mask, b, t);
    }

    /**
     * Attention over separately projected queries and keys/values, which may come from different sequences
     * (METER's cross-attention: queries from one stream, keys and values from the other). No RoPE, no cache.
     *
     * @param q [B, T, H·Dh]
     * @param k [B, S, H·Dh]
     * @param v [B, S, H·Dh]
     * @param mask additive mask broadcastable to [B, H, T, S], or null
     * @return [B, T, H·Dh]
     */
    public NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long b = q.getShape().get(0);
        long t = q.getShape().get(1);
        long s = k.getShape().get(1);
        return core(q.reshape(b, t, spec.heads(), spec.headDim()).transpose(0, 2, 1, 3), // [B, H, T, Dh]
                k.reshape(b, s, spec.heads(), spec.headDim()).transpose(0, 2, 1, 3), // [B, H, S, Dh]
                v.reshape(b, s, spec.heads(), spec.headDim()).transpose(0, 2, 1, 3), mask, b, t);
    }

    /** softmax(q·kᵀ·scale + mask)·v per head, heads concatenated: [B, H, T, Dh] inputs to [B, T, H·Dh]. */
    private NDArray core(NDArray q, NDArray k, NDArray v, NDArray mask, long b, long t) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // [B, H, T, S]
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray out = scores.softmax(-1).matMul(v); // [B, H, T, Dh]
        return out.transpose(0, 2, 1, 3).reshape(b, t, spec.width()); // [B, T, H·Dh]
    }
}
