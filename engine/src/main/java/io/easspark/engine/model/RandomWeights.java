package io.easspark.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random weights in the native layout, made on demand one tensor at a time (a 7B-shaped model never exists
 * twice in memory): benchmark models and the demo model. Matrices get std 1/sqrt(fan-in) and norms 1, so
 * activations stay finite; each tensor's values depend only on the seed and its name.
 */
public final class RandomWeights implements WeightSource {

    private final Map<String, long[]> layout;
    private final long seed;

    public RandomWeights(LavinConfig config, long seed) {
        this.layout = NativeLayout.tensors(config);
        this.seed = seed;
    }

    @Override
    public long[] shape(String name) {
        return layout.get(name);
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        return manager.create(values(name), new Shape(layout.get(name)));
    }

    /** The tensor's values, row-major. */
    public float[] values(String name) {
        long[] shape = layout.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no tensor " + name + " in the native layout");
        }
        int n = Math.toIntExact(new Shape(shape).size());
        float[] values = new float[n];
        if (name.endsWith("norm.weight")) {
            java.util.Arrays.fill(values, 1f);
            return values;
        }
        SplittableRandom random = new SplittableRandom(seed ^ name.hashCode() * 0x9E3779B97F4A7C15L);
        double std = shape.length > 1 ? 1.0 / Math.sqrt(shape[shape.length - 1]) : 0.02;
        for (int i = 0; i < n; i++) {
            // sum of two uniforms: cheap, bounded, zero mean; the distribution does not matter for speed
            values[i] = (float) ((random.nextDouble() + random.nextDouble() - 1.0) * std * 2.449);
        }
        return values;
    }

    @Override
    public String describe() {
        return "random weights (seed " + seed + ")";
    }
}
