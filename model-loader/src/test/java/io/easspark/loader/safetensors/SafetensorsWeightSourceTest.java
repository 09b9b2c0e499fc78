package io.easspark.loader.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.easspark.loader.io.LocalInputFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60) // the first NDManager loads the native engine
class SafetensorsWeightSourceTest {

    @TempDir
    Path dir;

    @Test
    void twoShardsLoadEveryTensorAsFp32() throws IOException {
        Path first = dir.resolve("model-00001-of-00002.safetensors");
        Path second = dir.resolve("model-00002-of-00002.safetensors");
        SafetensorsWriter.write(first, List.of(
                SafetensorsRoundTripTest.floats("w", new long[] {2, 2}, new float[] {1, 2, 3, 4}),
                SafetensorsRoundTripTest.bfloat16s("norm", new long[] {3}, new float[] {0.5f, -1, 2})), Map.of());
        SafetensorsWriter.write(second, List.of(
                SafetensorsRoundTripTest.floats("out", new long[] {1, 3}, new float[] {7, 8, 9})), Map.of());

        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(
                        List.of(new LocalInputFile(first), new LocalInputFile(second)));
                NDManager manager = NDManager.newBaseManager()) {
            assertThat(source.names()).containsExactly("w", "norm", "out");
            assertThat(source.shape("w")).containsExactly(2, 2);
            assertThat(source.shape("out")).containsExactly(1, 3);
            assertThat(source.shape("absent")).isNull();
            assertThat(source.describe()).isEqualTo(first + ", " + second);

            NDArray w = source.load("w", manager);
            assertThat(w.getShape().getShape()).containsExactly(2, 2);
            assertThat(w.toFloatArray()).containsExactly(1, 2, 3, 4);
            assertThat(source.load("norm", manager).toFloatArray()).containsExactly(0.5f, -1, 2);
            assertThat(source.load("out", manager).toFloatArray()).containsExactly(7, 8, 9);
        }
    }

    @Test
    void nameInTwoShardsNamesBothFiles() throws IOException {
        Path first = dir.resolve("a.safetensors");
        Path second = dir.resolve("b.safetensors");
        SafetensorsWriter.write(first, List.of(SafetensorsRoundTripTest.longs("dup", 1)), Map.of());
        SafetensorsWriter.write(second, List.of(SafetensorsRoundTripTest.longs("other", 2),
                SafetensorsRoundTripTest.longs("dup", 3)), Map.of());

        assertThatThrownBy(() -> SafetensorsWeightSource.open(
                List.of(new LocalInputFile(first), new LocalInputFile(second))))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessage("tensor dup is also in " + first + "; each tensor must be in exactly one shard in "
                        + second);
    }
}
