package io.easspark.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.TreeMap;

/** Tensors already in memory (random benchmark weights, tests). The map's arrays stay owned by the caller. */
public final class MapWeightSource implements WeightSource {

    private final Map<String, NDArray> tensors;
    private final String description;

    public MapWeightSource(Map<String, NDArray> tensors, String description) {
        this.tensors = new TreeMap<>(tensors);
        this.description = description;
    }

    @Override
    public long[] shape(String name) {
        NDArray a = tensors.get(name);
        return a == null ? null : a.getShape().getShape();
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        NDArray a = tensors.get(name);
        NDArray copy = a.toType(DataType.FLOAT32, true);
        copy.attach(manager);
        return copy;
    }

    @Override
    public String describe() {
        return description;
    }
}
