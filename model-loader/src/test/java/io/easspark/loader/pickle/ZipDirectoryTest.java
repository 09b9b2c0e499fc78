package io.easspark.loader.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.io.SeekableInput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The zip directory reader: plain and ZIP64 layouts, torch's padded local headers, and every bound it checks. */
class ZipDirectoryTest {

    @TempDir
    Path dir;

    private static Map<String, byte[]> twoEntries() {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("archive/data.pkl", "pickle bytes".getBytes(StandardCharsets.US_ASCII));
        entries.put("archive/data/0", TestZips.floats(1f, 2f, 3f));
        return entries;
    }

    @Test
    @Timeout(10)
    void readsEntriesAndFindsDataPastPaddedLocalHeaders() throws IOException {
        Path zip = TestZips.write(dir.resolve("plain.zip"), twoEntries(), false);
        assertDataReadable(zip);
    }

    @Test
    @Timeout(10)
    void readsZip64RecordsAndExtraFields() throws IOException {
        Path zip = TestZips.write(dir.resolve("zip64.zip"), twoEntries(), true);
        // the JDK's reader agrees that the hand-written ZIP64 archive is valid
        try (ZipFile jdk = new ZipFile(zip.toFile())) {
            assertThat(jdk.getEntry("archive/data/0").getSize()).isEqualTo(12);
        }
        assertDataReadable(zip);
    }

    private void assertDataReadable(Path zip) throws IOException {
        LocalInputFile file = new LocalInputFile(zip);
        ZipDirectory directory = ZipDirectory.read(file);
        assertThat(directory.entries()).extracting(ZipDirectory.Entry::name).containsExactly("archive/data.pkl", "archive/data/0");
        ZipDirectory.Entry storage = directory.find("archive/data/0");
        assertThat(storage.method()).isEqualTo(ZipDirectory.STORED);
        assertThat(storage.size()).isEqualTo(12);
        try (SeekableInput in = file.open()) {
            long at = directory.dataOffset(in, storage);
            assertThat(at % 64).as("torch pads each entry's data to 64 bytes").isZero();
            ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            in.readFully(at, b);
            assertThat(b.getFloat(0)).isEqualTo(1f);
            assertThat(b.getFloat(8)).isEqualTo(3f);
        }
        assertThat(new String(directory.readSmall(directory.find("archive/data.pkl"), 100), StandardCharsets.US_ASCII))
                .isEqualTo("pickle bytes");
        assertThat(directory.find("archive/missing")).isNull();
    }

    @Test
    @Timeout(10)
    void inflatesADeflatedEntry() throws IOException {
        Path zip = dir.resolve("deflated.zip");
        byte[] text = "a deflated data.pkl, a deflated data.pkl, a deflated data.pkl".getBytes(StandardCharsets.US_ASCII);
        try (OutputStream os = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(os)) {
            z.putNextEntry(new ZipEntry("a/data.pkl"));
            z.write(text);
            z.closeEntry();
        }
        ZipDirectory directory = ZipDirectory.read(new LocalInputFile(zip));
        ZipDirectory.Entry entry = directory.find("a/data.pkl");
        assertThat(entry.method()).isEqualTo(ZipDirectory.DEFLATED);
        assertThat(directory.readSmall(entry, 1000)).isEqualTo(text);
        assertThatThrownBy(() -> directory.readSmall(entry, 10))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("zip entry a/data.pkl is " + text.length + " bytes, over the 10-byte limit");
    }

    @Test
    @Timeout(10)
    void truncatedZipSaysSo() throws IOException {
        byte[] whole = TestZips.bytes(twoEntries(), false);
        Path zip = dir.resolve("half.zip");
        Files.write(zip, Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(zip.toString())
                .hasMessageContaining("no end-of-central-directory record")
                .hasMessageContaining("truncated");
    }

    @Test
    @Timeout(10)
    void entryPastTheEndOfTheFileIsRefused() throws IOException {
        byte[] bytes = TestZips.bytes(twoEntries(), false);
        int second = indexOf(bytes, "PK\u0001\u0002", indexOf(bytes, "PK\u0001\u0002", 0) + 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(second + 42, bytes.length + 1000);
        Path zip = dir.resolve("past.zip");
        Files.write(zip, bytes);
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("zip entry archive/data/0 claims 12 bytes at local header offset " + (bytes.length + 1000))
                .hasMessageContaining("past the central directory");
    }

    @Test
    @Timeout(10)
    void directoryPastItsEndRecordIsRefused() throws IOException {
        byte[] bytes = TestZips.bytes(twoEntries(), false);
        int end = bytes.length - 22;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(end + 16, bytes.length); // directory offset
        Path zip = dir.resolve("cd.zip");
        Files.write(zip, bytes);
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("at offset " + bytes.length + " runs past its end records at offset " + end);
    }

    @Test
    @Timeout(10)
    void entryCountBeyondTheDirectoryIsRefused() throws IOException {
        byte[] bytes = TestZips.bytes(twoEntries(), false);
        int end = bytes.length - 22;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(end + 10, (short) 60000);
        Path zip = dir.resolve("count.zip");
        Files.write(zip, bytes);
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("end record claims 60000 entries");
    }

    @Test
    @Timeout(10)
    void zip64LocatorPointingOutsideTheFileIsRefused() throws IOException {
        byte[] bytes = TestZips.bytes(twoEntries(), true);
        int locator = bytes.length - 22 - 20;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(locator + 8, Long.MAX_VALUE - 10);
        Path zip = dir.resolve("z64.zip");
        Files.write(zip, bytes);
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("zip64 end record offset " + (Long.MAX_VALUE - 10) + " is outside the file");
    }

    @Test
    @Timeout(10)
    void corruptDataFailsTheCrcCheck() throws IOException {
        byte[] bytes = TestZips.bytes(twoEntries(), false);
        int at = indexOf(bytes, "pickle bytes", 0);
        bytes[at] = 'P';
        Path zip = dir.resolve("crc.zip");
        Files.write(zip, bytes);
        ZipDirectory directory = ZipDirectory.read(new LocalInputFile(zip));
        CRC32 crc = new CRC32();
        crc.update("pickle bytes".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> directory.readSmall(directory.find("archive/data.pkl"), 100))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("zip entry archive/data.pkl fails its CRC-32 check: expected " + Long.toHexString(crc.getValue()));
    }

    @Test
    @Timeout(10)
    void nonZipFilesAreNamed() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello, not a zip at all");
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(text)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(text + ": is not a zip archive");
        // torch < 1.6 wrote a bare pickle stream starting with PROTO 2 and a magic number
        Path legacy = Files.write(dir.resolve("legacy.pth"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c,
            0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, 0x2e, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(legacy)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("legacy (torch < 1.6) torch.save format, which is not supported");
        Path empty = Files.write(dir.resolve("empty.pth"), new byte[0]);
        assertThatThrownBy(() -> ZipDirectory.read(new LocalInputFile(empty)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("is not a zip archive");
    }

    private static int indexOf(byte[] haystack, String needle, int from) {
        byte[] n = needle.getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = from; i <= haystack.length - n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found: " + needle);
    }
}
