package io.easspark.loader.safetensors;

import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.util.Arrays;
import java.util.Objects;

/**
 * One header entry of a safetensors file, already checked against the file by {@link SafetensorsReader}.
 *
 * @param name tensor key
 * @param dtype element type
 * @param shape dimensions (empty for a scalar)
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elements() {
        return TensorData.elements(shape);
    }

    public long byteCount() {
        return end - begin;
    }

    // Records compare arrays by identity; two headers describing the same tensor should be equal.
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " data_offsets [" + begin + ", " + end + "]";
    }
}
