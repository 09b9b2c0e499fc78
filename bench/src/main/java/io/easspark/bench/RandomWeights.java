package io.easspark.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.model.WeightSource;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random weights in the native layout, made on demand one tensor at a time (a 7B-shaped model never exists twice
 * in memory). Matrices get std 1/sqrt(fan-in) and norms 1, so activations stay finite; values are seeded per name.
 */
final class RandomWeights implements WeightSource {

    private final Map<String, long[]> layout;
    private final long seed;

    RandomWeights(LavinConfig config, long seed) {
        this.layout = NativeLayout.tensors(config);
        this.seed = seed;
    }

    @Override
    public long[] shape(String name) {
        return layout.get(name);
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        long[] shape = layout.get(name);
        Shape s = new Shape(shape);
        if (name.endsWith("norm.weight")) {
            return manager.ones(s, DataType.FLOAT32);
        }
        int n = Math.toIntExact(s.size());
        float[] values = new float[n];
        SplittableRandom random = new SplittableRandom(seed ^ name.hashCode() * 0x9E3779B97F4A7C15L);
        double std = shape.length > 1 ? 1.0 / Math.sqrt(shape[shape.length - 1]) : 0.02;
        for (int i = 0; i < n; i++) {
            // sum of two uniforms: cheap, bounded, zero mean; the distribution does not matter for speed
            values[i] = (float) ((random.nextDouble() + random.nextDouble() - 1.0) * std * 2.449);
        }
        return manager.create(values, s);
    }

    @Override
    public String describe() {
        return "random weights (seed " + seed + ")";
    }
}
