package io.easspark.loader.hadoop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.SeekableInput;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopInputFileTest {

    @Test
    void readsRangesThroughTheHadoopFileSystemIntoHeapAndDirectBuffers(@TempDir Path dir) throws Exception {
        byte[] bytes = new byte[100_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        Path file = dir.resolve("w.bin");
        Files.write(file, bytes);
        HadoopInputFile in = HadoopInputFile.of(file.toUri().toString(), new Configuration());
        assertThat(in.length()).isEqualTo(bytes.length);
        assertThat(in.location()).startsWith("file:");
        try (SeekableInput s = in.open()) {
            ByteBuffer heap = ByteBuffer.allocate(1000);
            s.readFully(5000, heap);
            ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
            s.readFully(29_000, direct);
            for (int i = 0; i < 1000; i++) {
                assertThat(heap.get(i)).isEqualTo(bytes[5000 + i]);
            }
            for (int i = 0; i < 70_000; i += 997) {
                assertThat(direct.get(i)).isEqualTo(bytes[29_000 + i]);
            }
            assertThatThrownBy(() -> s.readFully(99_990, ByteBuffer.allocate(20)))
                    .isInstanceOf(EOFException.class).hasMessageContaining("unexpected end of file");
        }
    }
}
