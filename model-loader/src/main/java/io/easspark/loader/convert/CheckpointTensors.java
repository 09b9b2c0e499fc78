package io.easspark.loader.convert;

import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.util.Set;

/** The tensors of one source checkpoint file, read lazily one at a time (a 13 GB shard never sits in memory). */
public interface CheckpointTensors {

    Set<String> names();

    long[] shape(String name);

    DType dtype(String name);

    TensorData read(String name) throws IOException;

    /** The file, for messages. */
    String location();
}
