package io.easspark.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Named tensors in the native layout (see docs/FORMAT.md). The engine reads weights only through this interface,
 * so checkpoint formats and filesystems stay in model-loader.
 */
public interface WeightSource {

    /** The tensor's shape, or null when the source has no tensor of that name. */
    long[] shape(String name);

    /** Loads the tensor into {@code manager} as fp32. Only called for names whose {@link #shape} is non-null. */
    NDArray load(String name, NDManager manager);

    /** Where the tensors come from, for error messages (a path or URI). */
    String describe();
}
