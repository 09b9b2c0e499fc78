package io.easspark.loader.pickle;

import io.easspark.loader.io.InputFile;
import io.easspark.loader.io.SeekableInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The central directory of a zip archive, read over an {@link InputFile} with every offset and count checked against
 * the file before it is used. Supports ZIP64 (a 7B LLaMA shard is 13 GB) and nothing torch never writes: no
 * multi-disk archives, no encryption. Entry data is located lazily (one local-header read per entry actually used), so
 * opening a 13 GB shard costs a few small reads.
 */
public final class ZipDirectory {

    /** Compression methods from the zip spec (APPNOTE 4.4.5). */
    public static final int STORED = 0;
    public static final int DEFLATED = 8;

    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int EOCD_SIZE = 22;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int ZIP64_LOCATOR_SIZE = 20;
    private static final int ZIP64_EOCD_SIGNATURE = 0x06064b50;
    private static final int ZIP64_EOCD_SIZE = 56;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int CENTRAL_HEADER_SIZE = 46;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int LOCAL_HEADER_SIZE = 30;
    private static final int ZIP64_EXTRA_ID = 0x0001;
    private static final long U32_MAX = 0xFFFFFFFFL;
    private static final int U16_MAX = 0xFFFF;
    /** The EOCD comment is at most 65535 bytes, so the record starts within this many bytes of the end. */
    private static final int EOCD_SEARCH_BYTES = U16_MAX + EOCD_SIZE;
    /** Far above any checkpoint (a 1000-tensor archive has a ~100 KB directory); refuses absurd sizes before allocating. */
    static final long MAX_DIRECTORY_BYTES = 64L << 20;
    private static final int FLAG_ENCRYPTED = 1;

    /**
     * One file in the archive.
     *
     * @param name entry name, e.g. {@code archive/data/0}
     * @param method {@link #STORED} or {@link #DEFLATED} (others are listed but cannot be read)
     * @param compressedSize bytes stored in the archive
     * @param size bytes after decompression (equal to compressedSize when STORED)
     * @param crc32 the CRC-32 of the uncompressed bytes
     * @param localHeaderOffset where the entry's local header starts; the data follows it
     */
    public record Entry(String name, int method, long compressedSize, long size, long crc32, long localHeaderOffset) {
    }

    private final InputFile file;
    private final long fileLength;
    private final long directoryOffset;
    private final Map<String, Entry> entries;

    private ZipDirectory(InputFile file, long fileLength, long directoryOffset, Map<String, Entry> entries) {
        this.file = file;
        this.fileLength = fileLength;
        this.directoryOffset = directoryOffset;
        this.entries = entries;
    }

    /** Reads and validates the central directory of {@code file}. */
    public static ZipDirectory read(InputFile file) throws IOException {
        long length = file.length();
        try (SeekableInput in = file.open()) {
            return new DirectoryParser(file.location(), length, in).parse(file);
        }
    }

    /** All entries in directory order. */
    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** The entry called {@code name}, or null. */
    public Entry find(String name) {
        return entries.get(name);
    }

    public String location() {
        return file.location();
    }

    /** The archive's size in bytes. */
    public long fileLength() {
        return fileLength;
    }

    /** The archive file, to open for reading entry data. */
    public InputFile file() {
        return file;
    }

    /**
     * Absolute file offset of {@code entry}'s first data byte, from its local header (whose extra field can differ in
     * length from the central one: torch pads it to align storages to 64 bytes). Checks the data ends before the
     * central directory.
     */
    public long dataOffset(SeekableInput in, Entry entry) throws IOException {
        ByteBuffer header = readAt(in, entry.localHeaderOffset(), LOCAL_HEADER_SIZE, entry.name() + " local header");
        if (header.getInt(0) != LOCAL_SIGNATURE) {
            throw corrupt("zip entry " + entry.name() + " has no local header signature at offset " + entry.localHeaderOffset()
                    + ", found 0x" + Integer.toHexString(header.getInt(0)));
        }
        int nameLength = header.getShort(26) & U16_MAX;
        int extraLength = header.getShort(28) & U16_MAX;
        long data = entry.localHeaderOffset() + LOCAL_HEADER_SIZE + nameLength + extraLength;
        if (data + entry.compressedSize() > directoryOffset) {
            throw corrupt("zip entry " + entry.name() + " data [" + data + ", " + (data + entry.compressedSize())
                    + ") runs past the central directory at offset " + directoryOffset);
        }
        ByteBuffer name = readAt(in, entry.localHeaderOffset() + LOCAL_HEADER_SIZE, nameLength, entry.name() + " local name");
        String localName = StandardCharsets.UTF_8.decode(name).toString();
        if (!localName.equals(entry.name())) {
            throw corrupt("zip entry " + entry.name() + " has local header name '" + localName + "' at offset "
                    + entry.localHeaderOffset());
        }
        return data;
    }

    /**
     * The whole uncompressed content of a small entry (data.pkl, version, byteorder), STORED or DEFLATED, checked
     * against its CRC-32.
     */
    public byte[] readSmall(Entry entry, long maxBytes) throws IOException {
        if (entry.size() > maxBytes || entry.compressedSize() > maxBytes) {
            throw corrupt("zip entry " + entry.name() + " is " + entry.size() + " bytes, over the " + maxBytes
                    + "-byte limit for metadata entries");
        }
        if (entry.method() != STORED && entry.method() != DEFLATED) {
            throw corrupt("zip entry " + entry.name() + " uses compression method " + entry.method()
                    + "; only 0 (stored) and 8 (deflated) can be read");
        }
        byte[] raw = new byte[(int) entry.compressedSize()];
        try (SeekableInput in = file.open()) {
            in.readFully(dataOffset(in, entry), ByteBuffer.wrap(raw));
        }
        byte[] content = entry.method() == STORED ? raw : inflate(entry, raw);
        if (content.length != entry.size()) {
            throw corrupt("zip entry " + entry.name() + " holds " + content.length + " bytes but the directory says " + entry.size());
        }
        CRC32 crc = new CRC32();
        crc.update(content);
        if (crc.getValue() != entry.crc32()) {
            throw corrupt("zip entry " + entry.name() + " fails its CRC-32 check: expected " + Long.toHexString(entry.crc32())
                    + " but found " + Long.toHexString(crc.getValue()));
        }
        return content;
    }

    private byte[] inflate(Entry entry, byte[] raw) throws IOException {
        Inflater inflater = new Inflater(true); // zip entries are raw deflate, no zlib header
        try {
            inflater.setInput(raw);
            // one byte of slack so that more output than declared is detected instead of silently cut
            byte[] out = new byte[(int) entry.size() + 1];
            int n = 0;
            while (!inflater.finished() && n < out.length) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw corrupt("zip entry " + entry.name() + " ends mid-stream after " + n + " inflated bytes");
                }
                n += got;
            }
            return Arrays.copyOf(out, n);
        } catch (DataFormatException e) {
            throw new CheckpointFormatException(file.location() + ": zip entry " + entry.name()
                    + " is not valid deflate data: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private CheckpointFormatException corrupt(String what) {
        return new CheckpointFormatException(file.location() + ": " + what + " (file is " + fileLength + " bytes)");
    }

    private static ByteBuffer readAt(SeekableInput in, long offset, int length, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        in.readFully(offset, b);
        return b.flip();
    }

    /** Finds the end records and walks the directory, checking each field against the file before trusting it. */
    private static final class DirectoryParser {
        private final String location;
        private final long length;
        private final SeekableInput in;

        DirectoryParser(String location, long length, SeekableInput in) {
            this.location = location;
            this.length = length;
            this.in = in;
        }

        ZipDirectory parse(InputFile file) throws IOException {
            long eocd = findEndRecord();
            ByteBuffer end = readAt(in, eocd, EOCD_SIZE, "end of central directory");
            long count = end.getShort(10) & U16_MAX;
            long size = end.getInt(12) & U32_MAX;
            long offset = end.getInt(16) & U32_MAX;
            long directoryLimit = eocd;
            if (eocd >= ZIP64_LOCATOR_SIZE && readAt(in, eocd - ZIP64_LOCATOR_SIZE, 4, "zip64 locator").getInt(0) == ZIP64_LOCATOR_SIGNATURE) {
                ByteBuffer locator = readAt(in, eocd - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE, "zip64 locator");
                long z64 = locator.getLong(8);
                if (z64 < 0 || z64 > eocd - ZIP64_LOCATOR_SIZE - ZIP64_EOCD_SIZE) { // written so that no sum can overflow
                    throw corrupt("zip64 end record offset " + z64 + " is outside the file before its locator at "
                            + (eocd - ZIP64_LOCATOR_SIZE));
                }
                ByteBuffer record = readAt(in, z64, ZIP64_EOCD_SIZE, "zip64 end record");
                if (record.getInt(0) != ZIP64_EOCD_SIGNATURE) {
                    throw corrupt("no zip64 end record signature at offset " + z64 + ", found 0x"
                            + Integer.toHexString(record.getInt(0)));
                }
                if (record.getInt(16) != 0 || record.getInt(20) != 0) {
                    throw corrupt("multi-disk zip archives are not supported (disk " + record.getInt(16) + ")");
                }
                count = record.getLong(32);
                size = record.getLong(40);
                offset = record.getLong(48);
                directoryLimit = z64;
            } else if (count == U16_MAX || size == U32_MAX || offset == U32_MAX) {
                throw corrupt("the end record has ZIP64 placeholders (0xFFFF...) but no zip64 locator before it at offset " + eocd);
            } else if ((end.getShort(4) & U16_MAX) != 0 || (end.getShort(6) & U16_MAX) != 0) {
                throw corrupt("multi-disk zip archives are not supported (disk " + (end.getShort(4) & U16_MAX) + ")");
            }
            if (offset < 0 || size < 0 || size > directoryLimit || offset > directoryLimit - size) {
                throw corrupt("central directory of " + size + " bytes at offset " + offset + " runs past its end records at offset "
                        + directoryLimit);
            }
            if (size > MAX_DIRECTORY_BYTES) {
                throw corrupt("central directory is " + size + " bytes, over the " + MAX_DIRECTORY_BYTES + "-byte limit");
            }
            if (count < 0 || count > size / CENTRAL_HEADER_SIZE) {
                throw corrupt("end record claims " + count + " entries but the " + size + "-byte central directory holds at most "
                        + size / CENTRAL_HEADER_SIZE);
            }
            ByteBuffer directory = readAt(in, offset, (int) size, "central directory");
            Map<String, Entry> entries = new LinkedHashMap<>();
            int at = 0;
            for (long i = 0; i < count; i++) {
                Entry e = parseEntry(directory, at, offset);
                if (entries.putIfAbsent(e.name(), e) != null) {
                    throw corrupt("zip entry " + e.name() + " appears twice in the central directory");
                }
                at += CENTRAL_HEADER_SIZE + (directory.getShort(at + 28) & U16_MAX) + (directory.getShort(at + 30) & U16_MAX)
                        + (directory.getShort(at + 32) & U16_MAX);
            }
            return new ZipDirectory(file, length, offset, Collections.unmodifiableMap(entries));
        }

        /** The offset of the end-of-central-directory record, searched only where its 64 KiB comment could reach. */
        private long findEndRecord() throws IOException {
            if (length < EOCD_SIZE) {
                throw notZip();
            }
            int window = (int) Math.min(length, EOCD_SEARCH_BYTES);
            ByteBuffer tail = readAt(in, length - window, window, "end of file");
            for (int p = window - EOCD_SIZE; p >= 0; p--) {
                if (tail.getInt(p) == EOCD_SIGNATURE && p + EOCD_SIZE + (tail.getShort(p + 20) & U16_MAX) == window) {
                    return length - window + p;
                }
            }
            throw notZip();
        }

        private CheckpointFormatException notZip() throws IOException {
            ByteBuffer head = readAt(in, 0, (int) Math.min(length, 4), "file start");
            if (head.limit() >= 1 && (head.get(0) & 0xFF) == 0x80) {
                return new CheckpointFormatException(location + ": starts with a pickle, not a zip: this is the legacy (torch < 1.6) "
                        + "torch.save format, which is not supported; re-save it with torch.save(obj, path) from torch >= 1.6");
            }
            if (head.limit() == 4 && head.getInt(0) == LOCAL_SIGNATURE) {
                return corrupt("starts like a zip but has no end-of-central-directory record in its last "
                        + Math.min(length, EOCD_SEARCH_BYTES) + " bytes: the file is truncated (incomplete download or copy?)");
            }
            return corrupt("is not a zip archive: no end-of-central-directory record in its last "
                    + Math.min(length, EOCD_SEARCH_BYTES) + " bytes");
        }

        private Entry parseEntry(ByteBuffer directory, int at, long directoryOffset) throws IOException {
            if (at + CENTRAL_HEADER_SIZE > directory.limit() || directory.getInt(at) != CENTRAL_SIGNATURE) {
                throw corrupt("central directory entry at offset " + (directoryOffset + at) + " is missing or has a bad signature");
            }
            int flags = directory.getShort(at + 8) & U16_MAX;
            int method = directory.getShort(at + 10) & U16_MAX;
            long crc = directory.getInt(at + 16) & U32_MAX;
            long compressed = directory.getInt(at + 20) & U32_MAX;
            long size = directory.getInt(at + 24) & U32_MAX;
            int nameLength = directory.getShort(at + 28) & U16_MAX;
            int extraLength = directory.getShort(at + 30) & U16_MAX;
            int commentLength = directory.getShort(at + 32) & U16_MAX;
            int disk = directory.getShort(at + 34) & U16_MAX;
            long local = directory.getInt(at + 42) & U32_MAX;
            int nameAt = at + CENTRAL_HEADER_SIZE;
            if ((long) nameAt + nameLength + extraLength + commentLength > directory.limit()) {
                throw corrupt("central directory entry at offset " + (directoryOffset + at) + " runs past the directory end");
            }
            byte[] nameBytes = new byte[nameLength];
            directory.get(nameAt, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            if ((flags & FLAG_ENCRYPTED) != 0) {
                throw corrupt("zip entry " + name + " is encrypted");
            }
            // ZIP64 extra field: the 64-bit values appear, in this order, only for fields whose 32-bit slot is 0xFFFFFFFF
            int extraAt = nameAt + nameLength;
            int extraEnd = extraAt + extraLength;
            while (extraAt + 4 <= extraEnd) {
                int id = directory.getShort(extraAt) & U16_MAX;
                int len = directory.getShort(extraAt + 2) & U16_MAX;
                int dataAt = extraAt + 4;
                if (dataAt + len > extraEnd) {
                    throw corrupt("zip entry " + name + " has an extra field of " + len + " bytes running past its extra area");
                }
                if (id == ZIP64_EXTRA_ID) {
                    int p = dataAt;
                    if (size == U32_MAX) {
                        size = zip64Field(directory, p, dataAt + len, name, "size");
                        p += 8;
                    }
                    if (compressed == U32_MAX) {
                        compressed = zip64Field(directory, p, dataAt + len, name, "compressed size");
                        p += 8;
                    }
                    if (local == U32_MAX) {
                        local = zip64Field(directory, p, dataAt + len, name, "local header offset");
                        p += 8;
                    }
                    if (disk == U16_MAX) {
                        disk = 0; // the 4-byte disk number that follows; single-disk archives only
                    }
                }
                extraAt = dataAt + len;
            }
            if (size == U32_MAX || compressed == U32_MAX || local == U32_MAX) {
                throw corrupt("zip entry " + name + " has a 0xFFFFFFFF size or offset but no ZIP64 extra field");
            }
            if (disk != 0) {
                throw corrupt("zip entry " + name + " is on disk " + disk + "; multi-disk zip archives are not supported");
            }
            if (method == STORED && compressed != size) {
                throw corrupt("zip entry " + name + " is stored but its compressed size " + compressed + " differs from its size " + size);
            }
            // the local header, the name and the data must all fit before the central directory
            if (local < 0 || compressed < 0 || size < 0 || compressed > directoryOffset
                    || local > directoryOffset - LOCAL_HEADER_SIZE - nameLength - compressed) {
                throw corrupt("zip entry " + name + " claims " + compressed + " bytes at local header offset " + local
                        + ", past the central directory at offset " + directoryOffset + " (truncated or corrupt zip)");
            }
            return new Entry(name, method, compressed, size, crc, local);
        }

        private long zip64Field(ByteBuffer directory, int p, int end, String name, String field) throws IOException {
            if (p + 8 > end) {
                throw corrupt("zip entry " + name + " has a ZIP64 extra field too short to hold its " + field);
            }
            long v = directory.getLong(p);
            if (v < 0) {
                throw corrupt("zip entry " + name + " has a negative ZIP64 " + field + ": " + v);
            }
            return v;
        }

        private CheckpointFormatException corrupt(String what) {
            return new CheckpointFormatException(location + ": " + what + " (file is " + length + " bytes)");
        }
    }
}
