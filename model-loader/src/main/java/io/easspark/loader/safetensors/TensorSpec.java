package io.easspark.loader.safetensors;

import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor to be written, declared before its bytes exist so {@link SafetensorsWriter} can lay out the header first.
 *
 * @param name tensor key
 * @param dtype element type
 * @param shape dimensions (empty for a scalar), none negative
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        byteCount(name, dtype, shape); // fail now on a negative dimension or a size past Long.MAX_VALUE
    }

    /** The spec that {@code tensor} satisfies. */
    public static TensorSpec of(TensorData tensor) {
        return new TensorSpec(tensor.name(), tensor.dtype(), tensor.shape());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long byteCount() {
        return byteCount(name, dtype, shape);
    }

    private static long byteCount(String name, DType dtype, long[] shape) {
        try {
            return Math.multiplyExact(TensorData.elements(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " " + dtype
                    + " needs more than " + Long.MAX_VALUE + " bytes");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor " + name + ": " + e.getMessage());
        }
    }

    // Records compare arrays by identity; compare shapes by value instead.
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
