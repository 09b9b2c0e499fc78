package io.easspark.loader.safetensors;

import com.google.gson.stream.JsonWriter;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes safetensors files. The header is laid out from the specs first, then each tensor's bytes are fetched from a
 * {@link TensorSource} and streamed straight to disk, so a converted 7B model is never in memory twice. Output matches
 * the reference implementation's layout: compact JSON with {@code __metadata__} first, padded with spaces to a
 * multiple of 8 bytes so the data section stays aligned, tensors contiguous in spec order.
 */
public final class SafetensorsWriter {

    /** Header padding unit; the reference implementation pads to 8 so every tensor starts 8-byte aligned. */
    private static final int HEADER_ALIGNMENT = 8;

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code specs} to {@code path}, replacing any file there; {@code source} is asked for each tensor once, in
     * spec order, and each answer must match its spec's dtype and shape (its name may differ). On failure the partial
     * file is deleted.
     *
     * @param metadata string pairs for {@code __metadata__}; null or empty writes none
     * @throws IllegalArgumentException on duplicate or reserved names, or a tensor that does not match its spec
     */
    public static void write(Path path, List<TensorSpec> specs, Map<String, String> metadata, TensorSource source)
            throws IOException {
        byte[] header = header(path, specs, metadata == null ? Map.of() : metadata);
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(SafetensorsReader.LENGTH_PREFIX_BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(out, prefix);
            writeFully(out, ByteBuffer.wrap(header));
            for (TensorSpec spec : specs) {
                TensorData tensor = source.get(spec.name());
                checkMatches(path, spec, tensor);
                // clear(): the record's buffer holds exactly the tensor from 0 to capacity, whatever its position now.
                writeFully(out, tensor.data().duplicate().clear());
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Writes tensors already in memory, in list order. */
    public static void write(Path path, List<TensorData> tensors, Map<String, String> metadata) throws IOException {
        List<TensorSpec> specs = tensors.stream().map(TensorSpec::of).toList();
        Iterator<TensorData> next = tensors.iterator();
        write(path, specs, metadata, name -> next.next());
    }

    private static void checkMatches(Path path, TensorSpec spec, TensorData tensor) {
        if (tensor == null) {
            throw new IllegalArgumentException("tensor " + spec.name() + ": the tensor source returned null writing "
                    + path);
        }
        if (tensor.dtype() != spec.dtype() || !Arrays.equals(tensor.shape(), spec.shape())) {
            throw new IllegalArgumentException("tensor " + spec.name() + ": expected " + spec.dtype() + " "
                    + Arrays.toString(spec.shape()) + " but found " + tensor.dtype() + " "
                    + Arrays.toString(tensor.shape()) + " writing " + path);
        }
    }

    /** The padded JSON header for {@code specs}, offsets contiguous in spec order. */
    static byte[] header(Path path, List<TensorSpec> specs, Map<String, String> metadata) {
        check(path, specs, metadata);
        StringWriter json = new StringWriter();
        try (JsonWriter w = new JsonWriter(json)) {
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name(HeaderParser.METADATA_KEY).beginObject();
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    w.name(e.getKey()).value(e.getValue());
                }
                w.endObject();
            }
            long offset = 0;
            for (TensorSpec spec : specs) {
                long end = offset + spec.byteCount(); // check() proved the running total fits
                w.name(spec.name()).beginObject();
                w.name("dtype").value(spec.dtype().safetensorsName());
                w.name("shape").beginArray();
                for (long d : spec.shape()) {
                    w.value(d);
                }
                w.endArray();
                w.name("data_offsets").beginArray().value(offset).value(end).endArray();
                w.endObject();
                offset = end;
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return pad(path, json.toString());
    }

    /** Everything that could make the header invalid, checked before any of it is written. */
    private static void check(Path path, List<TensorSpec> specs, Map<String, String> metadata) {
        metadata.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new IllegalArgumentException("metadata " + key + "=" + value
                        + ": keys and values must be non-null writing " + path);
            }
        });
        Set<String> names = new HashSet<>();
        long total = 0;
        for (TensorSpec spec : specs) {
            if (spec.name().equals(HeaderParser.METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name " + HeaderParser.METADATA_KEY
                        + " is reserved for metadata writing " + path);
            }
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException("tensor " + spec.name() + " is listed twice writing " + path);
            }
            try {
                total = Math.addExact(total, spec.byteCount());
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensors up to " + spec.name() + " need more than "
                        + Long.MAX_VALUE + " bytes writing " + path);
            }
        }
    }

    private static byte[] pad(Path path, String json) {
        ByteBuffer utf8;
        try {
            utf8 = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(json)); // refuses lone surrogates
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("header has a name that is not valid Unicode writing " + path);
        }
        int length = utf8.remaining();
        int padded = (length + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
        if (padded > SafetensorsReader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header of " + padded + " bytes exceeds the limit of "
                    + SafetensorsReader.MAX_HEADER_BYTES + " readers accept writing " + path);
        }
        byte[] out = new byte[padded];
        Arrays.fill(out, length, padded, (byte) ' ');
        utf8.get(out, 0, length);
        return out;
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
