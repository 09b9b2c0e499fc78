package io.easspark.loader.convert;

import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Test double: fp32 tensors in memory, counting reads. */
final class MemoryCheckpoint implements CheckpointTensors {

    final Map<String, TensorData> tensors = new LinkedHashMap<>();
    final String location;
    int reads;

    MemoryCheckpoint(String location) {
        this.location = location;
    }

    MemoryCheckpoint put(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        tensors.put(name, new TensorData(name, DType.F32, shape, b));
        return this;
    }

    /** A tensor whose element i is {@code base + i}. */
    MemoryCheckpoint ramp(String name, float base, long... shape) {
        float[] v = new float[(int) TensorData.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = base + i;
        }
        return put(name, shape, v);
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public long[] shape(String name) {
        TensorData t = tensors.get(name);
        return t == null ? null : t.shape();
    }

    @Override
    public DType dtype(String name) {
        return tensors.get(name).dtype();
    }

    @Override
    public TensorData read(String name) {
        reads++;
        return tensors.get(name);
    }

    @Override
    public String location() {
        return location;
    }
}
