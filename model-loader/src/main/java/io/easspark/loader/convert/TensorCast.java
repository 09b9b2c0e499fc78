package io.easspark.loader.convert;

import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.Half;
import io.easspark.loader.tensor.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Stores imported floating tensors as fp32 or fp16 ({@code convert --dtype}), converting each when it is produced. */
public final class TensorCast {

    private TensorCast() {
    }

    /** {@code tensors} stored as {@code to} (F32 or F16); null keeps each source dtype. */
    public static List<ImportedTensor> to(List<ImportedTensor> tensors, DType to) {
        if (to == null) {
            return tensors;
        }
        if (to != DType.F32 && to != DType.F16) {
            throw new IllegalArgumentException("--dtype must be f32 or f16: " + to);
        }
        return tensors.stream().map(t -> t.dtype() == to ? t
                : new ImportedTensor(t.name(), to, t.shape(), t.source(), () -> cast(t.produce(), to))).toList();
    }

    /** Widening (fp16/bf16 to fp32) is exact; narrowing to fp16 rounds to nearest even, as torch's .half(). */
    static TensorData cast(TensorData src, DType to) {
        float[] v = src.toFloats();
        ByteBuffer b = ByteBuffer.allocate(v.length * to.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            if (to == DType.F32) {
                b.putFloat(f);
            } else {
                b.putShort(Half.fromFloat(f));
            }
        }
        b.flip();
        return new TensorData(src.name(), to, src.shape(), b);
    }
}
