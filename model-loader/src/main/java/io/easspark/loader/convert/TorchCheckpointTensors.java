package io.easspark.loader.convert;

import io.easspark.loader.pickle.TensorRef;
import io.easspark.loader.pickle.TorchCheckpoint;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/** A {@code .pth} (or TorchScript {@code .pt}) checkpoint as import input; tensors are read from the zip on demand. */
public final class TorchCheckpointTensors implements CheckpointTensors {

    private final TorchCheckpoint checkpoint;
    private final Map<String, TensorRef> tensors;

    public TorchCheckpointTensors(TorchCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
        this.tensors = checkpoint.tensors();
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public long[] shape(String name) {
        TensorRef t = tensors.get(name);
        return t == null ? null : t.shape();
    }

    @Override
    public DType dtype(String name) {
        return tensors.get(name).dtype();
    }

    @Override
    public TensorData read(String name) throws IOException {
        return tensors.get(name).read();
    }

    @Override
    public String location() {
        return checkpoint.location();
    }
}
