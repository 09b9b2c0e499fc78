package io.easspark.loader.safetensors;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.easspark.loader.tensor.DType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns a safetensors JSON header into checked {@link TensorInfo} entries: each entry alone is well formed and lies
 * inside the data section. Reads with Gson's streaming reader in strict mode and descends only into the shapes the
 * format allows (at most three levels), so a hostile header can neither smuggle in {@code NaN} nor build a deep or
 * wide tree in memory.
 */
final class HeaderParser {

    /** The key that holds string-to-string metadata instead of a tensor. */
    static final String METADATA_KEY = "__metadata__";

    /** NumPy 2's NPY_MAXDIMS; no checkpoint tensor has more dimensions, and it bounds what one shape may allocate. */
    static final int MAX_RANK = 64;

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

    /** The parsed header: tensors in file order, and the metadata (empty when absent). */
    record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private final String location;
    private final long dataLength;
    private final JsonReader in;

    private HeaderParser(String location, byte[] json, long dataLength) {
        this.location = location;
        this.dataLength = dataLength;
        // REPORT, not the default REPLACE: a header that is not UTF-8 is corrupt, not something to guess at.
        var utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        this.in = new JsonReader(new InputStreamReader(new ByteArrayInputStream(json), utf8));
        in.setStrictness(Strictness.STRICT);
    }

    /**
     * Parses {@code json}, the header of the file at {@code location} whose data section is {@code dataLength} bytes.
     */
    static Header parse(String location, byte[] json, long dataLength) throws SafetensorsFormatException {
        return new HeaderParser(location, json, dataLength).parse();
    }

    private Header parse() throws SafetensorsFormatException {
        try {
            return readHeader();
        } catch (SafetensorsFormatException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw fail("header is not valid UTF-8");
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw fail("header is not valid JSON: " + syntaxError(e));
        }
    }

    private Header readHeader() throws IOException {
        if (in.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail("header must be a JSON object but found " + describe(in.peek()));
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = null;
        in.beginObject();
        while (in.hasNext()) {
            String key = in.nextName();
            if (key.equals(METADATA_KEY)) {
                if (metadata != null) {
                    throw fail("header has " + METADATA_KEY + " twice");
                }
                metadata = readMetadata();
            } else {
                if (tensors.containsKey(key)) {
                    throw fail("header has tensor " + key + " twice");
                }
                tensors.put(key, readTensor(key));
            }
        }
        in.endObject();
        in.peek(); // strict mode fails here on anything after the object but whitespace (the writer's padding)
        return new Header(Collections.unmodifiableMap(tensors),
                metadata == null ? Map.of() : Collections.unmodifiableMap(metadata));
    }

    private Map<String, String> readMetadata() throws IOException {
        if (in.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail(METADATA_KEY + " must be a JSON object but found " + describe(in.peek()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        in.beginObject();
        while (in.hasNext()) {
            String key = in.nextName();
            if (in.peek() != JsonToken.STRING) {
                throw fail(METADATA_KEY + " must map strings to strings but " + key + " holds " + describe(in.peek()));
            }
            metadata.put(key, in.nextString());
        }
        in.endObject();
        return metadata;
    }

    private TensorInfo readTensor(String name) throws IOException {
        if (in.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail("tensor " + name + ": entry must be a JSON object but found " + describe(in.peek()));
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        in.beginObject();
        while (in.hasNext()) {
            String field = in.nextName();
            switch (field) {
                case "dtype" -> {
                    checkOnce(name, field, dtype);
                    dtype = readDType(name);
                }
                case "shape" -> {
                    checkOnce(name, field, shape);
                    shape = readNonNegativeIntegers(name, field, MAX_RANK);
                }
                case "data_offsets" -> {
                    checkOnce(name, field, offsets);
                    offsets = readNonNegativeIntegers(name, field, 2);
                }
                default -> throw fail("tensor " + name + ": unexpected key \"" + field
                        + "\"; expected dtype, shape and data_offsets");
            }
        }
        in.endObject();
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw fail("tensor " + name + ": missing " + missing);
        }
        return checkLayout(name, dtype, shape, offsets);
    }

    private void checkOnce(String name, String field, Object seen) throws SafetensorsFormatException {
        if (seen != null) {
            throw fail("tensor " + name + ": " + field + " given twice");
        }
    }

    private DType readDType(String name) throws IOException {
        if (in.peek() != JsonToken.STRING) {
            throw fail("tensor " + name + ": dtype must be a string but found " + describe(in.peek()));
        }
        String text = in.nextString();
        DType dtype = DType.fromSafetensors(text);
        if (dtype == null) {
            String known = Arrays.stream(DType.values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
            throw fail("tensor " + name + ": unknown dtype " + text + "; expected one of " + known);
        }
        return dtype;
    }

    /** Reads an array of at most {@code max} JSON integers ≥ 0; floats, exponents, strings and NaN are refused. */
    private long[] readNonNegativeIntegers(String name, String field, int max) throws IOException {
        if (in.peek() != JsonToken.BEGIN_ARRAY) {
            throw fail("tensor " + name + ": " + field + " must be an array but found " + describe(in.peek()));
        }
        List<Long> values = new ArrayList<>();
        in.beginArray();
        while (in.hasNext()) {
            if (values.size() == max) {
                throw fail("tensor " + name + ": " + field + " has more than " + max + " entries");
            }
            JsonToken token = in.peek();
            // nextString() on a NUMBER gives its literal text, so "2.0" and "2e0" are seen as written.
            String text = token == JsonToken.NUMBER || token == JsonToken.STRING ? in.nextString() : describe(token);
            if (token != JsonToken.NUMBER || !INTEGER.matcher(text).matches() || text.startsWith("-")) {
                throw fail("tensor " + name + ": " + field + " must hold non-negative integers but found "
                        + (token == JsonToken.STRING ? "\"" + text + "\"" : text));
            }
            try {
                values.add(Long.parseLong(text));
            } catch (NumberFormatException e) {
                throw fail("tensor " + name + ": " + field + " value " + text
                        + " does not fit in a signed 64-bit integer");
            }
        }
        in.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** Checks one entry against itself and the data section; overlaps between entries are the reader's job. */
    private TensorInfo checkLayout(String name, DType dtype, long[] shape, long[] offsets)
            throws SafetensorsFormatException {
        String described = "shape " + Arrays.toString(shape) + " " + dtype.safetensorsName();
        long needed;
        try {
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            needed = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException e) {
            throw fail("tensor " + name + ": " + described + " needs more than " + Long.MAX_VALUE + " bytes");
        }
        if (offsets.length != 2) {
            throw fail("tensor " + name + ": data_offsets must be [begin, end] but found " + Arrays.toString(offsets));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw fail("tensor " + name + ": data_offsets " + Arrays.toString(offsets) + " have begin after end");
        }
        if (end - begin != needed) {
            throw fail("tensor " + name + ": " + described + " needs " + needed + " bytes but data_offsets span "
                    + (end - begin));
        }
        if (end > dataLength) {
            throw fail("tensor " + name + ": data_offsets " + Arrays.toString(offsets)
                    + " point past the end of the data section (" + dataLength + " bytes)");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case BEGIN_ARRAY -> "an array";
            case BEGIN_OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> token.toString();
        };
    }

    /** Gson's message minus its advice to parse leniently (leniency is exactly what we refuse) and its help link. */
    private static String syntaxError(Exception e) {
        String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        int at = first.indexOf("at line ");
        return first.startsWith("Use JsonReader") && at >= 0 ? "syntax error " + first.substring(at) : first;
    }

    private SafetensorsFormatException fail(String problem) {
        return new SafetensorsFormatException(location, problem);
    }
}
