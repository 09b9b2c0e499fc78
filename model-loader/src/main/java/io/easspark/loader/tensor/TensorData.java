package io.easspark.loader.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor's bytes as stored: little-endian, C order. The common currency between checkpoint readers, writers
 * and the engine's {@code WeightSource}.
 *
 * @param name checkpoint key
 * @param dtype element type
 * @param shape dimensions (empty for a scalar)
 * @param data exactly {@code elements·dtype.bytes()} bytes from position 0
 */
public record TensorData(String name, DType dtype, long[] shape, ByteBuffer data) {

    public TensorData {
        shape = shape.clone();
        long expected = elements(shape) * dtype.bytes();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + Arrays.toString(shape) + " " + dtype
                    + " needs " + expected + " bytes but has " + data.remaining());
        }
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elements() {
        return elements(shape);
    }

    /** Product of the dimensions; fails on a negative dimension or overflow. */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The values widened to fp32 (fp16 and bf16 exactly; f64 rounded). */
    public float[] toFloats() {
        int n = Math.toIntExact(elements());
        float[] out = new float[n];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Half.toFloat(b.getShort(i * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xFFFF) << 16);
                }
            }
            default -> throw new IllegalArgumentException("tensor " + name + ": " + dtype + " is not a floating type");
        }
        return out;
    }

    /**
     * An fp32 NDArray owned by {@code manager}. The bytes go to libtorch as they are and are widened there
     * (vectorised), not element by element in Java: loading is bound by the copy, not by a loop.
     */
    public NDArray toNDArray(NDManager manager) {
        DataType stored = switch (dtype) {
            case F32 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            case F64 -> DataType.FLOAT64;
            // libtorch 2.7.1 through DJL aborts the JVM on a bf16 buffer: widen those in Java
            case BF16 -> null;
            default -> throw new IllegalArgumentException("tensor " + name + ": " + dtype + " is not a floating type");
        };
        if (stored == null) {
            return manager.create(toFloats(), new Shape(shape));
        }
        NDArray raw = manager.create(data.duplicate().order(ByteOrder.nativeOrder()), new Shape(shape), stored);
        if (stored == DataType.FLOAT32) {
            return raw;
        }
        NDArray widened = raw.toType(DataType.FLOAT32, false);
        raw.close();
        return widened;
    }
}
