package io.easspark.loader.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorDataTest {

    static final float[] VALUES = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 0.333251953125f};

    static TensorData make(DType dtype, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            switch (dtype) {
                case F32 -> b.putFloat(f);
                case F64 -> b.putDouble(f);
                case F16 -> b.putShort(Half.fromFloat(f));
                case BF16 -> b.putShort((short) (Float.floatToIntBits(f) >>> 16));
                default -> throw new IllegalArgumentException();
            }
        }
        b.flip();
        return new TensorData("t", dtype, new long[] {2, v.length / 2}, b);
    }

    @Test
    void everyFloatTypeReachesLibtorchAsTheSameFp32ValuesAsTheJavaWidening() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DType d : new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}) {
                TensorData t = make(d, VALUES);
                NDArray a = t.toNDArray(m);
                assertThat(a.getShape().getShape()).containsExactly(2, VALUES.length / 2);
                assertThat(a.toFloatArray()).as(d.name()).containsExactly(t.toFloats());
            }
            // fp16 holds these exactly: max normal, min normal, min subnormal
            assertThat(make(DType.F16, VALUES).toFloats()).containsExactly(VALUES);
        }
    }

    @Test
    void halfConversionRoundsToNearestEven() {
        assertThat(Half.toFloat(Half.fromFloat(1.0009765625f))).isEqualTo(1.0009765625f); // 1 + 2^-10 exact
        assertThat(Half.toFloat(Half.fromFloat(1.00048828125f))).isEqualTo(1.0f); // tie → even
        assertThat(Half.toFloat(Half.fromFloat(1e6f))).isInfinite();
        assertThat(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN)))).isTrue();
    }

    @Test
    void byteCountMustMatchTheShape() {
        assertThatThrownBy(() -> new TensorData("w", DType.F32, new long[] {2, 3}, ByteBuffer.allocate(20)))
                .hasMessage("tensor w: [2, 3] F32 needs 24 bytes but has 20");
    }
}
