package io.easspark.loader.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files assembled byte by byte from the format description (8-byte little-endian length, JSON, data), so the writer
 * is checked against the format and not only against our own reader. The padded variants are what the reference
 * implementation writes for the same tensors: compact JSON, {@code __metadata__} first, spaces to a multiple of 8.
 */
@Timeout(5)
class SafetensorsGoldenFileTest {

    /** {@code a = [1.0f, -2.0f]} as little-endian IEEE 754: 0x3F800000, 0xC0000000. */
    private static final byte[] DATA = {0x00, 0x00, (byte) 0x80, 0x3F, 0x00, 0x00, 0x00, (byte) 0xC0};

    private static final String HEADER = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    private static final String HEADER_WITH_METADATA =
            "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @TempDir
    Path dir;

    @Test
    void handWrittenUnpaddedFileParses() throws IOException {
        // 54 = 0x36 header bytes, no padding: the format does not require it, so readers must accept it.
        Path path = write("unpadded.safetensors", new byte[] {0x36, 0, 0, 0, 0, 0, 0, 0}, HEADER, DATA);

        try (SafetensorsReader reader = SafetensorsReader.open(new LocalInputFile(path))) {
            assertThat(reader.tensors()).containsExactly(
                    Map.entry("a", new TensorInfo("a", DType.F32, new long[] {2}, 0, 8)));
            assertThat(reader.metadata()).isEmpty();
            assertThat(reader.read("a").toFloats()).containsExactly(1.0f, -2.0f);
        }
    }

    @Test
    void writerOutputIsByteForByteTheReferenceLayout() throws IOException {
        // 56 = 0x38: the 54 JSON bytes plus two spaces.
        byte[] golden = concat(new byte[] {0x38, 0, 0, 0, 0, 0, 0, 0}, (HEADER + "  ").getBytes(StandardCharsets.UTF_8),
                DATA);
        Path path = dir.resolve("written.safetensors");

        SafetensorsWriter.write(path, List.of(tensorA()), Map.of());

        assertThat(Files.readAllBytes(path)).isEqualTo(golden);
    }

    @Test
    void writerOutputWithMetadataIsByteForByteTheReferenceLayout() throws IOException {
        // 88 = 0x58: the 85 JSON bytes plus three spaces.
        byte[] golden = concat(new byte[] {0x58, 0, 0, 0, 0, 0, 0, 0},
                (HEADER_WITH_METADATA + "   ").getBytes(StandardCharsets.UTF_8), DATA);
        Path path = dir.resolve("written-metadata.safetensors");

        SafetensorsWriter.write(path, List.of(tensorA()), Map.of("format", "pt"));

        assertThat(Files.readAllBytes(path)).isEqualTo(golden);
    }

    @Test
    void handWrittenAndWrittenFilesParseIdentically() throws IOException {
        Path hand = write("hand.safetensors", new byte[] {0x55, 0, 0, 0, 0, 0, 0, 0}, HEADER_WITH_METADATA, DATA);
        Path written = dir.resolve("written.safetensors");
        SafetensorsWriter.write(written, List.of(tensorA()), Map.of("format", "pt"));

        try (SafetensorsReader a = SafetensorsReader.open(new LocalInputFile(hand));
                SafetensorsReader b = SafetensorsReader.open(new LocalInputFile(written))) {
            assertThat(a.tensors()).containsExactlyEntriesOf(b.tensors());
            assertThat(a.metadata()).containsExactlyEntriesOf(b.metadata()).containsEntry("format", "pt");
            assertThat(SafetensorsRoundTripTest.bytes(a.read("a"))).isEqualTo(DATA);
            assertThat(SafetensorsRoundTripTest.bytes(b.read("a"))).isEqualTo(DATA);
        }
    }

    private static TensorData tensorA() {
        return SafetensorsRoundTripTest.floats("a", new long[] {2}, new float[] {1.0f, -2.0f});
    }

    private Path write(String name, byte[] lengthPrefix, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        assertThat(lengthPrefix[0] & 0xFF).as("hand-written length prefix").isEqualTo(json.length);
        return Files.write(dir.resolve(name), concat(lengthPrefix, json, data));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
