package io.easspark.loader.safetensors;

import io.easspark.loader.tensor.TensorData;
import java.io.IOException;

/**
 * Supplies one tensor's bytes on demand, so {@link SafetensorsWriter} holds a single tensor in memory at a time
 * (a converter reads each weight from the source checkpoint only when its turn comes).
 */
@FunctionalInterface
public interface TensorSource {

    /** The bytes for the spec named {@code name}; called once per spec, in spec order. */
    TensorData get(String name) throws IOException;
}
