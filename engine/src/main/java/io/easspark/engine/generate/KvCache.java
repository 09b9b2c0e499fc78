package io.easspark.engine.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.MultiHeadAttention;

/**
 * Keys and values of a batch, preallocated for the whole generation and written in place. Only kept layers get
 * memory: a skipped MHA has no keys (a 12-of-32 plan saves 37.5%).
 *
 * <p>Letters: B batch rows, H heads, C capacity (positions), Dh head size.
 */
public final class KvCache {

    private final NDArray[] keys; // [B, H, C, Dh] or null for skipped layers
    private final NDArray[] values;
    private final int capacity;
    private final int batch;

    public KvCache(NDManager owner, SkipPlan plan, int batch, int heads, int headDim, int capacity, DataType dtype) {
        this.capacity = capacity;
        this.batch = batch;
        int n = plan.layerCount();
        keys = new NDArray[n];
        values = new NDArray[n];
        Shape shape = new Shape(batch, heads, capacity, headDim);
        for (int i = 0; i < n; i++) {
            if (!plan.isSkipped(i)) {
                keys[i] = owner.zeros(shape, dtype);
                values[i] = owner.zeros(shape, dtype);
            }
        }
    }

    /** True when the layer holds cache memory (kept layers only). */
    public boolean holds(int layer) {
        return keys[layer] != null;
    }

    /** Bytes held for all layers. */
    public long bytes() {
        long total = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                total += keys[i].size() * keys[i].getDataType().getNumOfBytes() * 2;
            }
        }
        return total;
    }

    /** Bytes held per row and position: what a longer context or a larger batch costs. */
    public long bytesPerRowPerPosition() {
        return bytes() / batch / capacity;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * The store for one layer in one step: writes the new keys at positions [start, start + T) and returns every
     * key and value up to there, as views owned by {@code step} (so they die with the step, the cache does not).
     */
    public MultiHeadAttention.KeyValueStore store(int layer, int start, NDManager step) {
        if (keys[layer] == null) {
            throw new IllegalStateException("layer " + layer + " is skipped and has no KV cache");
        }
        return (k, v) -> {
            int end = start + (int) k.getShape().get(2);
            if (end > capacity) {
                throw new IllegalStateException("KV cache full: position " + end + " > capacity " + capacity);
            }
            // built, not parsed: a string index is parsed on every call, twice per kept layer per step
            NDIndex write = new NDIndex().addAllDim(2).addSliceDim(start, end);
            keys[layer].set(write, k);
            values[layer].set(write, v);
            NDIndex read = new NDIndex().addAllDim(2).addSliceDim(0, end);
            return new NDList(keys[layer].get(step, read), values[layer].get(step, read));
        };
    }
}
