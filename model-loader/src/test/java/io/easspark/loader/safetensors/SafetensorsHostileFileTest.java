package io.easspark.loader.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt and malicious files: each must fail fast with a {@link SafetensorsFormatException} naming the file and the
 * exact problem, without allocating what the file claims (the timeout catches a hang or a huge allocation).
 */
@Timeout(5)
class SafetensorsHostileFileTest {

    private static final String F32_PAIR = "\"dtype\":\"F32\",\"shape\":[2]";

    @TempDir
    Path dir;

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path path = Files.write(dir.resolve("short.safetensors"), new byte[5]);

        assertFails(path, "file has 5 bytes but the header length alone takes 8");
    }

    @Test
    void headerLengthOfTwoToTheFortyFailsWithoutAllocating() throws IOException {
        assertFails(withLength(1L << 40, "{}"), "header length 1099511627776 exceeds the limit of 104857600 bytes");
    }

    @Test
    void headerLengthPastTwoToTheSixtyThreeIsReadUnsigned() throws IOException {
        assertFails(withLength(-1L, "{}"), "header length 18446744073709551615 exceeds the limit of 104857600 bytes");
    }

    @Test
    void headerLengthZero() throws IOException {
        assertFails(withLength(0, "{}"), "header length is 0 but a JSON header must follow");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        assertFails(withLength(100, "{\"a\":1}"), "header length 100 but only 7 bytes follow the length prefix");
    }

    @Test
    void invalidJson() throws IOException {
        assertFails(header("{\"a\":{\"dtype\":", 0), "header is not valid JSON");
        assertFails(header("{} trailing", 0), "header is not valid JSON");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] json = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '{', '}', '}'};
        assertFails(withLength(json.length, json), "header is not valid UTF-8");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertFails(header("[1, 2]", 0), "header must be a JSON object but found an array");
    }

    @Test
    void entryNotAnObject() throws IOException {
        assertFails(header("{\"a\":3}", 0), "tensor a: entry must be a JSON object but found a number");
    }

    @Test
    void metadataNotStrings() throws IOException {
        assertFails(header("{\"__metadata__\":{\"k\":1}}", 0),
                "__metadata__ must map strings to strings but k holds a number");
    }

    @Test
    void unknownDtype() throws IOException {
        assertFails(tensor("\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]", 2),
                "tensor a: unknown dtype F8_E4M3; expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
    }

    @Test
    void negativeShape() throws IOException {
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]", 8),
                "tensor a: shape must hold non-negative integers but found -2");
    }

    @Test
    void floatShape() throws IOException {
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]", 8),
                "tensor a: shape must hold non-negative integers but found 2.5");
        // Integral floats too: the reference implementation's parser refuses them for usize.
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]", 8),
                "tensor a: shape must hold non-negative integers but found 2.0");
    }

    @Test
    void nanShape() throws IOException {
        // Bare NaN is not JSON; a lenient parser would take it, and (long) NaN is 0.
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,0]", 0),
                "header is not valid JSON: syntax error at line 1", "path $.a.shape[0]");
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[\"NaN\"],\"data_offsets\":[0,0]", 0),
                "tensor a: shape must hold non-negative integers but found \"NaN\"");
    }

    @Test
    void shapeValueTooLargeForLong() throws IOException {
        assertFails(tensor("\"dtype\":\"U8\",\"shape\":[99999999999999999999],\"data_offsets\":[0,0]", 0),
                "tensor a: shape value 99999999999999999999 does not fit in a signed 64-bit integer");
    }

    @Test
    void shapeProductOverflow() throws IOException {
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]", 0),
                "tensor a: shape [4294967296, 4294967296] F32 needs more than 9223372036854775807 bytes");
    }

    @Test
    void shapeRankBeyondLimit() throws IOException {
        String ones = "1,".repeat(HeaderParser.MAX_RANK) + "1";
        assertFails(tensor("\"dtype\":\"U8\",\"shape\":[" + ones + "],\"data_offsets\":[0,1]", 1),
                "tensor a: shape has more than 64 entries");
    }

    @Test
    void missingShape() throws IOException {
        assertFails(tensor("\"dtype\":\"F32\",\"data_offsets\":[0,8]", 8), "tensor a: missing shape");
    }

    @Test
    void unexpectedKey() throws IOException {
        assertFails(tensor(F32_PAIR + ",\"data_offsets\":[0,8],\"extra\":[[[[1]]]]", 8),
                "tensor a: unexpected key \"extra\"; expected dtype, shape and data_offsets");
    }

    @Test
    void duplicateTensor() throws IOException {
        String entry = "\"a\":{" + F32_PAIR + ",\"data_offsets\":[0,8]}";
        assertFails(header("{" + entry + "," + entry + "}", 8), "header has tensor a twice");
    }

    @Test
    void byteCountMismatch() throws IOException {
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]", 24),
                "tensor a: shape [2, 3] F32 needs 24 bytes but data_offsets span 20");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        assertFails(tensor("\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]", 8),
                "tensor a: data_offsets [0, 16] point past the end of the data section (8 bytes)");
    }

    @Test
    void beginAfterEnd() throws IOException {
        assertFails(tensor(F32_PAIR + ",\"data_offsets\":[8,0]", 8),
                "tensor a: data_offsets [8, 0] have begin after end");
    }

    @Test
    void offsetsNotAPair() throws IOException {
        assertFails(tensor(F32_PAIR + ",\"data_offsets\":[8]", 8),
                "tensor a: data_offsets must be [begin, end] but found [8]");
        assertFails(tensor(F32_PAIR + ",\"data_offsets\":[0,8,16]", 16),
                "tensor a: data_offsets has more than 2 entries");
        assertFails(tensor(F32_PAIR + ",\"data_offsets\":[-8,0]", 8),
                "tensor a: data_offsets must hold non-negative integers but found -8");
    }

    @Test
    void overlappingTensorsNameBoth() throws IOException {
        assertFails(header("{\"b\":{" + F32_PAIR + ",\"data_offsets\":[4,12]},\"a\":{" + F32_PAIR
                + ",\"data_offsets\":[0,8]}}", 12),
                "tensors a (data_offsets [0, 8]) and b (data_offsets [4, 12]) overlap");
    }

    @Test
    void gapsBetweenTensorsAreAllowed() throws IOException {
        Path path = header("{\"a\":{" + F32_PAIR + ",\"data_offsets\":[0,8]},\"b\":{" + F32_PAIR
                + ",\"data_offsets\":[16,24]}}", 24);

        try (SafetensorsReader reader = SafetensorsReader.open(new LocalInputFile(path))) {
            assertThat(reader.tensors().keySet()).containsExactly("a", "b");
        }
    }

    private void assertFails(Path path, String... fragments) {
        assertThatThrownBy(() -> SafetensorsReader.open(new LocalInputFile(path)).close())
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContainingAll(fragments)
                .hasMessageEndingWith(" in " + path)
                .hasMessageNotContaining("\n");
    }

    /** A file with the single tensor {@code a} whose entry body is {@code fields}, followed by zeroed data. */
    private Path tensor(String fields, int dataBytes) throws IOException {
        return header("{\"a\":{" + fields + "}}", dataBytes);
    }

    private Path header(String json, int dataBytes) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        byte[] rest = new byte[bytes.length + dataBytes];
        System.arraycopy(bytes, 0, rest, 0, bytes.length);
        return withLength(bytes.length, rest);
    }

    private Path withLength(long claimed, String rest) throws IOException {
        return withLength(claimed, rest.getBytes(StandardCharsets.UTF_8));
    }

    private Path withLength(long claimed, byte[] rest) throws IOException {
        ByteBuffer file = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(claimed).put(rest);
        return Files.write(Files.createTempFile(dir, "hostile", ".safetensors"), file.array());
    }
}
