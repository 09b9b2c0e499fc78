package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product multi-head attention shared by the LLaMA decoder and the CLIP ViT.
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
     * @param rope angles for the new tokens, or null (ViT)
     * @param store the layer's KV cache, or null
     * @param mask additive mask [B, 1, T, S] (0 or −∞), or null for none
     * @return [B, T, H·Dh]
     */
    public NDArray forward(NDArray qkv, NDList rope, KeyValueStore store, NDArray mask) {
        Shape s = qkv.getShape();
        long b = s.get(0);
        long t = s.get(1);
        NDArray heads = qkv.reshape(b, t, 3, spec.heads(), spec.headDim()); // [B, T, 3, H, Dh]
        NDArray q = heads.get(":, :, 0"); // [B, T, H, Dh]
        NDArray k = heads.get(":, :, 1");
        NDArray v = heads.get(":, :, 2");
        if (rope != null) {
            q = RopeTable.rotate(q, rope);
            k = RopeTable.rotate(k, rope);
        }
        q = q.transpose(0, 2, 1, 3); // [B, H, T, Dh]
        k = k.transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        if (store != null) {
            NDList all = store.append(k, v);
            k = all.get(0); // [B, H, S, Dh]
            v = all.get(1);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // [B, H, T, S]
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray out = scores.softmax(-1).matMul(v); // [B, H, T, Dh]
        return out.transpose(0, 2, 1, 3).reshape(b, t, spec.width()); // [B, T, H·Dh]
    }
}
