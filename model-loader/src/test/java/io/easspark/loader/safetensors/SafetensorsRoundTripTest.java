package io.easspark.loader.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.Half;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(5)
class SafetensorsRoundTripTest {

    private static final long SEED = 42;

    @TempDir
    Path dir;

    @Test
    void everyDtypeScalarEmptyAndMetadataReadBackByteIdentical() throws IOException {
        Random random = new Random(SEED);
        float[] f32 = randomFloats(random, 6);
        float[] f16 = randomFloats(random, 4);
        float[] bf16 = randomFloats(random, 4);
        List<TensorData> tensors = List.of(
                floats("f32", new long[] {2, 3}, f32),
                halfs("f16", f16),
                bfloat16s("bf16", new long[] {2, 2}, bf16),
                longs("i64", -3, 0, Long.MAX_VALUE),
                floats("scalar", new long[] {}, new float[] {7.5f}),
                floats("empty", new long[] {0}, new float[] {}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "ünïcode & <html>");
        Path path = dir.resolve("all.safetensors");

        SafetensorsWriter.write(path, tensors, metadata);

        try (SafetensorsReader reader = SafetensorsReader.open(new LocalInputFile(path))) {
            assertThat(reader.metadata()).containsExactlyEntriesOf(metadata);
            assertThat(reader.tensors().keySet()).containsExactly("f32", "f16", "bf16", "i64", "scalar", "empty");
            for (TensorData expected : tensors) {
                TensorInfo info = reader.tensors().get(expected.name());
                assertThat(info.dtype()).isEqualTo(expected.dtype());
                assertThat(info.shape()).containsExactly(expected.shape());
                TensorData actual = reader.read(expected.name());
                assertThat(bytes(actual)).as(expected.name()).isEqualTo(bytes(expected));
            }
            assertThat(reader.read("f32").toFloats()).containsExactly(f32);
            assertThat(reader.read("scalar").toFloats()).containsExactly(7.5f);
            assertThat(reader.read("empty").elements()).isZero();
        }
    }

    @Test
    void headerIsPaddedToEightBytesAndOffsetsAreContiguousInSpecOrder() throws IOException {
        Path path = dir.resolve("layout.safetensors");
        // A one-letter name makes the compact header 54 bytes, so padding is needed.
        SafetensorsWriter.write(path, List.of(floats("a", new long[] {2}, new float[] {1, 2}),
                longs("b", 1, 2, 3), floats("c", new long[] {1}, new float[] {3})), null);

        byte[] file = Files.readAllBytes(path);
        long headerLength = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(headerLength % 8).isZero();
        try (SafetensorsReader reader = SafetensorsReader.open(new LocalInputFile(path))) {
            long expectedBegin = 0;
            for (TensorInfo info : reader.tensors().values()) {
                assertThat(info.begin()).as(info.name()).isEqualTo(expectedBegin);
                expectedBegin = info.end();
            }
            assertThat(8 + headerLength + expectedBegin).isEqualTo(file.length);
            assertThat(reader.metadata()).isEmpty();
        }
    }

    @Test
    void sourceIsAskedOncePerTensorInSpecOrder() throws IOException {
        Map<String, TensorData> byName = new LinkedHashMap<>();
        byName.put("z", floats("z", new long[] {1}, new float[] {1}));
        byName.put("a", floats("a", new long[] {2}, new float[] {2, 3}));
        byName.put("m", longs("m", 4));
        List<TensorSpec> specs = byName.values().stream().map(TensorSpec::of).toList();
        List<String> asked = new ArrayList<>();
        Path path = dir.resolve("streamed.safetensors");

        SafetensorsWriter.write(path, specs, Map.of(), name -> {
            asked.add(name);
            return byName.get(name);
        });

        assertThat(asked).containsExactly("z", "a", "m");
        try (SafetensorsReader reader = SafetensorsReader.open(new LocalInputFile(path))) {
            assertThat(reader.tensors().keySet()).containsExactly("z", "a", "m");
            assertThat(reader.read("a").toFloats()).containsExactly(2, 3);
        }
    }

    @Test
    void tensorNotMatchingItsSpecFailsAndLeavesNoFile() {
        Path path = dir.resolve("mismatch.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.F32, new long[] {2, 3}));

        assertThatThrownBy(() -> SafetensorsWriter.write(path, specs, Map.of(),
                name -> floats(name, new long[] {3, 2}, new float[6])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor w: expected F32 [2, 3] but found F32 [3, 2] writing " + path);
        assertThat(path).doesNotExist();

        assertThatThrownBy(() -> SafetensorsWriter.write(path, specs, Map.of(),
                name -> new TensorData(name, DType.I64, new long[] {2, 3}, ByteBuffer.allocate(6 * 8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor w: expected F32 [2, 3] but found I64 [2, 3]");
        assertThat(path).doesNotExist();
    }

    @Test
    void duplicateAndReservedNamesAreRefusedBeforeWriting() {
        Path path = dir.resolve("names.safetensors");
        TensorData a = floats("a", new long[] {1}, new float[] {1});

        assertThatThrownBy(() -> SafetensorsWriter.write(path, List.of(a, a), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor a is listed twice writing " + path);
        assertThatThrownBy(() -> SafetensorsWriter.write(path,
                List.of(floats("__metadata__", new long[] {1}, new float[] {1})), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor name __metadata__ is reserved for metadata");
        assertThat(path).doesNotExist();
    }

    @Test
    void readingAnAbsentTensorNamesIt() throws IOException {
        Path path = dir.resolve("one.safetensors");
        SafetensorsWriter.write(path, List.of(longs("x", 1)), Map.of());

        try (SafetensorsReader reader = SafetensorsReader.open(new LocalInputFile(path))) {
            assertThatThrownBy(() -> reader.read("y"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no tensor y in " + path);
        }
    }

    private static float[] randomFloats(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }

    static TensorData floats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new TensorData(name, DType.F32, shape, b);
    }

    private static TensorData halfs(String name, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Half.fromFloat(v));
        }
        return new TensorData(name, DType.F16, new long[] {values.length}, b.flip());
    }

    static TensorData bfloat16s(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            int bits = Float.floatToIntBits(v);
            // round to nearest even on the 16 bits bf16 drops
            b.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
        }
        return new TensorData(name, DType.BF16, shape, b.flip());
    }

    static TensorData longs(String name, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new TensorData(name, DType.I64, new long[] {values.length}, b);
    }

    static byte[] bytes(TensorData t) {
        ByteBuffer b = t.data().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
