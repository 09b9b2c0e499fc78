package io.easspark.engine.tune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.MapWeightSource;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.model.WeightSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Every tensor of a LaVIN-shaped model as an fp32 leaf array, some of them trainable (they require a gradient), the
 * rest frozen (plain arrays, off the autograd graph, never written). The model that trains is the engine's own
 * {@code LavinModel}, loaded from {@link #source()} inside a gradient collector at every step: its derived weights
 * (fused QKV, transposes, block diagonals) are differentiable functions of these leaves.
 */
public final class TrainableWeights implements AutoCloseable {

    private final LavinConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> leaves = new LinkedHashMap<>();
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();

    private TrainableWeights(LavinConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    /**
     * @param values every tensor of the config's native layout, by name
     * @param train which tensors train
     */
    public static TrainableWeights of(LavinConfig config, Map<String, float[]> values, Predicate<String> train, NDManager parent) {
        TrainableWeights w = new TrainableWeights(config, parent.newSubManager());
        try {
            for (Map.Entry<String, long[]> e : NativeLayout.tensors(config).entrySet()) {
                float[] v = values.get(e.getKey());
                if (v == null) {
                    throw new IllegalArgumentException("no values for " + e.getKey());
                }
                NDArray a = w.manager.create(v, new Shape(e.getValue()));
                if (train.test(e.getKey())) {
                    a.setRequiresGradient(true);
                    w.trainable.put(e.getKey(), a);
                }
                w.leaves.put(e.getKey(), a);
            }
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Fresh training weights ({@link TrainingInit}) for every tensor of the config. */
    public static Map<String, float[]> initial(LavinConfig config, long seed) {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (String name : NativeLayout.tensors(config).keySet()) {
            v.put(name, TrainingInit.values(config, name, seed));
        }
        return v;
    }

    public LavinConfig config() {
        return config;
    }

    /** The leaves as a weight source for {@code LavinModel.load}. */
    public WeightSource source() {
        return new MapWeightSource(leaves, "training weights");
    }

    /** The trainable leaves, in layout order. */
    public Map<String, NDArray> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    public NDManager manager() {
        return manager;
    }

    /** A copy of every tensor's current values, in layout order. */
    public Map<String, float[]> values() {
        Map<String, float[]> v = new LinkedHashMap<>();
        leaves.forEach((name, a) -> v.put(name, a.toFloatArray()));
        return v;
    }

    @Override
    public void close() {
        manager.close();
    }
}
