package io.easspark.loader.pickle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Writes STORED zip archives byte by byte, the way torch's writer lays them out (local extra field padding each entry's
 * data to 64 bytes), optionally with every size and offset moved into ZIP64 records, as a &gt; 4 GiB shard has them.
 */
final class TestZips {

    private static final int ALIGN = 64; // torch's caffe2 serialize kFieldAlignment
    private static final int PADDING_ID = 0x4246; // "FB", the extra-field id torch pads with

    private TestZips() {
    }

    /** Ordered entries to write; names map to their bytes. */
    static Map<String, byte[]> entries() {
        return new LinkedHashMap<>();
    }

    static Path write(Path path, Map<String, byte[]> entries, boolean zip64) throws IOException {
        Files.write(path, bytes(entries, zip64));
        return path;
    }

    static byte[] bytes(Map<String, byte[]> entries, boolean zip64) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<byte[]> central = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = e.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            long offset = out.size();
            int pad = (int) ((ALIGN - (offset + 30 + name.length + 4) % ALIGN) % ALIGN);
            ByteBuffer local = le(30 + name.length + 4 + pad);
            local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length)
                    .putShort((short) name.length).putShort((short) (4 + pad)).put(name)
                    .putShort((short) PADDING_ID).putShort((short) pad).put(new byte[pad]);
            out.writeBytes(local.array());
            out.writeBytes(data);

            int extra = zip64 ? 4 + 24 : 0;
            ByteBuffer c = le(46 + name.length + extra);
            c.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc.getValue())
                    .putInt(zip64 ? -1 : data.length).putInt(zip64 ? -1 : data.length)
                    .putShort((short) name.length).putShort((short) extra).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putInt(0).putInt(zip64 ? -1 : (int) offset).put(name);
            if (zip64) { // the order the spec fixes: size, compressed size, local header offset
                c.putShort((short) 1).putShort((short) 24).putLong(data.length).putLong(data.length).putLong(offset);
            }
            central.add(c.array());
        }
        long directoryOffset = out.size();
        central.forEach(out::writeBytes);
        long directorySize = out.size() - directoryOffset;
        if (zip64) {
            long recordOffset = out.size();
            ByteBuffer record = le(56);
            record.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                    .putLong(entries.size()).putLong(entries.size()).putLong(directorySize).putLong(directoryOffset);
            out.writeBytes(record.array());
            ByteBuffer locator = le(20);
            locator.putInt(0x07064b50).putInt(0).putLong(recordOffset).putInt(1);
            out.writeBytes(locator.array());
        }
        ByteBuffer end = le(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                .putShort((short) (zip64 ? -1 : entries.size())).putShort((short) (zip64 ? -1 : entries.size()))
                .putInt(zip64 ? -1 : (int) directorySize).putInt(zip64 ? -1 : (int) directoryOffset).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    /** Little-endian float32 bytes. */
    static byte[] floats(float... values) {
        ByteBuffer b = le(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** Builds pickle bytes opcode by opcode (names as in pickletools). */
    static final class PickleBytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        PickleBytes op(int... codes) {
            for (int c : codes) {
                out.write(c);
            }
            return this;
        }

        /** Bytes written as they are (a fragment built by another PickleBytes). */
        PickleBytes raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        PickleBytes proto() {
            return op(0x80, 2);
        }

        PickleBytes global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        PickleBytes str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(le(5).put((byte) 'X').putInt(b.length).array());
            out.writeBytes(b);
            return this;
        }

        PickleBytes integer(int v) {
            out.writeBytes(le(5).put((byte) 'J').putInt(v).array());
            return this;
        }

        /** A tuple of ints: MARK, BININT..., TUPLE. */
        PickleBytes ints(long... values) {
            op('(');
            for (long v : values) {
                integer((int) v);
            }
            return op('t');
        }

        /** _rebuild_tensor_v2 of a FloatStorage with key {@code key} holding {@code numel} elements. */
        PickleBytes floatTensor(String key, long numel, long offset, long[] shape, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu").integer((int) numel).op('t', 'Q');
            integer((int) offset).ints(shape).ints(stride).op(0x89).global("collections", "OrderedDict").op(')', 'R');
            return op('t', 'R');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
