package io.easspark.loader.safetensors;

import io.easspark.loader.io.InputFile;
import io.easspark.loader.io.SeekableInput;
import io.easspark.loader.tensor.TensorData;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file: an 8-byte little-endian header length N, N bytes of JSON naming each tensor's dtype,
 * shape and byte range, then the data section those ranges index. {@link #open} reads and checks the whole header
 * and nothing else; {@link #read} then fetches one tensor's bytes. Every length in the file is bounded before
 * anything is allocated from it, so a hostile file fails with a {@link SafetensorsFormatException} instead of
 * exhausting memory.
 */
public final class SafetensorsReader implements Closeable {

    /** The reference implementation's cap too: real headers are kilobytes to a few megabytes. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    static final int LENGTH_PREFIX_BYTES = Long.BYTES;

    /** The largest array most JVMs will allocate; one tensor is read into one buffer. */
    private static final long MAX_BUFFER_BYTES = Integer.MAX_VALUE - 8;

    private final String location;
    private final SeekableInput input;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(String location, SeekableInput input, long dataStart, HeaderParser.Header header) {
        this.location = location;
        this.input = input;
        this.dataStart = dataStart;
        this.tensors = header.tensors();
        this.metadata = header.metadata();
    }

    /** Opens {@code file} and checks its header; the file stays open until {@link #close}. */
    public static SafetensorsReader open(InputFile file) throws IOException {
        String location = file.location();
        long fileLength = file.length();
        if (fileLength < LENGTH_PREFIX_BYTES) {
            throw new SafetensorsFormatException(location, "file has " + fileLength
                    + " bytes but the header length alone takes " + LENGTH_PREFIX_BYTES);
        }
        SeekableInput input = file.open();
        try {
            ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            input.readFully(0, prefix);
            long headerLength = prefix.getLong(0);
            long available = fileLength - LENGTH_PREFIX_BYTES;
            // Unsigned in the format: a negative long is a length past 2^63, so past the cap as well.
            if (headerLength == 0) {
                throw new SafetensorsFormatException(location, "header length is 0 but a JSON header must follow");
            }
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsFormatException(location, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > available) {
                throw new SafetensorsFormatException(location, "header length " + headerLength + " but only "
                        + available + " bytes follow the length prefix");
            }
            byte[] json = new byte[(int) headerLength];
            input.readFully(LENGTH_PREFIX_BYTES, ByteBuffer.wrap(json));
            HeaderParser.Header header = HeaderParser.parse(location, json, available - headerLength);
            checkNoOverlap(location, header.tensors());
            return new SafetensorsReader(location, input, LENGTH_PREFIX_BYTES + headerLength, header);
        } catch (IOException | RuntimeException e) {
            try {
                input.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Sorted by begin, each tensor must start at or after the previous one's end; gaps are allowed. */
    private static void checkNoOverlap(String location, Map<String, TensorInfo> tensors)
            throws SafetensorsFormatException {
        List<TensorInfo> byBegin = new ArrayList<>(tensors.values());
        byBegin.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < byBegin.size(); i++) {
            TensorInfo previous = byBegin.get(i - 1);
            TensorInfo current = byBegin.get(i);
            if (current.begin() < previous.end()) {
                throw new SafetensorsFormatException(location, "tensors " + previous.name() + " (data_offsets ["
                        + previous.begin() + ", " + previous.end() + "]) and " + current.name() + " (data_offsets ["
                        + current.begin() + ", " + current.end() + "]) overlap");
            }
        }
    }

    /** Where the file is, for messages. */
    public String location() {
        return location;
    }

    /** Every tensor's header entry, in the order the header lists them. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The header's {@code __metadata__}, empty when it has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads exactly the bytes of tensor {@code name} into a heap buffer (heap, not direct: the garbage collector frees
     * it as soon as the weight is copied into the engine, where direct memory would linger until a later GC).
     *
     * @throws IllegalArgumentException when the header has no such tensor
     */
    public synchronized TensorData read(String name) throws IOException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException("no tensor " + name + " in " + location);
        }
        if (info.byteCount() > MAX_BUFFER_BYTES) {
            throw new IOException("tensor " + name + ": " + info.byteCount() + " bytes exceed the " + MAX_BUFFER_BYTES
                    + " one buffer can hold in " + location);
        }
        ByteBuffer data = ByteBuffer.allocate((int) info.byteCount());
        input.readFully(dataStart + info.begin(), data);
        data.flip();
        return new TensorData(name, info.dtype(), info.shape(), data);
    }

    @Override
    public synchronized void close() throws IOException {
        input.close();
    }
}
