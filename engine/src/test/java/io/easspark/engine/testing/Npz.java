package io.easspark.engine.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads numpy {@code .npz} fixtures (a zip of {@code .npy} members, stored or deflated) written by
 * the Python reference scripts, so tests need no extra dependency. Supports little-endian, C-order
 * arrays of uint8, int32, int64, float32 and float64.
 */
public final class Npz {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {}

    /** numpy element types this reader understands, by their little-endian {@code descr}. */
    public enum Dtype {
        UINT8("|u1", 1), INT32("<i4", 4), INT64("<i8", 8), FLOAT32("<f4", 4), FLOAT64("<f8", 8);

        final String descr;
        final int bytes;

        Dtype(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }

        static Dtype of(String descr, String where) {
            for (Dtype d : values()) {
                // numpy writes uint8 as '|u1'; accept the equivalent '<u1' too.
                if (d.descr.equals(descr) || (d == UINT8 && descr.equals("<u1"))) {
                    return d;
                }
            }
            throw new IllegalArgumentException(where + ": unsupported dtype '" + descr
                    + "' (expected one of |u1, <i4, <i8, <f4, <f8)");
        }
    }

    /** One array: its member name (without {@code .npy}), dtype, shape and raw little-endian data. */
    public record Array(String name, Dtype dtype, int[] shape, ByteBuffer raw) {

        /** Number of elements (the product of the shape). */
        public int size() {
            return raw.capacity() / dtype.bytes;
        }

        /** uint8 data as signed Java bytes (read with {@code & 0xFF}). */
        public byte[] bytes() {
            require(Dtype.UINT8);
            byte[] out = new byte[size()];
            raw.duplicate().get(out);
            return out;
        }

        public float[] floats() {
            require(Dtype.FLOAT32);
            float[] out = new float[size()];
            raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        /** float64 data, or float32 widened exactly. */
        public double[] doubles() {
            if (dtype == Dtype.FLOAT32) {
                float[] f = floats();
                double[] out = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    out[i] = f[i];
                }
                return out;
            }
            require(Dtype.FLOAT64);
            double[] out = new double[size()];
            raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
            return out;
        }

        /** int64 data, or int32 widened. */
        public long[] longs() {
            long[] out = new long[size()];
            ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            if (dtype == Dtype.INT32) {
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.getInt();
                }
                return out;
            }
            require(Dtype.INT64);
            b.asLongBuffer().get(out);
            return out;
        }

        private void require(Dtype wanted) {
            if (dtype != wanted) {
                throw new IllegalStateException("array " + name + ": expected dtype " + wanted
                        + " but found " + dtype + " " + Arrays.toString(shape));
            }
        }
    }

    /** Reads a classpath resource, e.g. {@code "/fixtures/pixels.npz"}. */
    public static Map<String, Array> readResource(String resource) {
        // read as a stream: the resource may sit inside a jar (model-loader's tests use engine's test-jar)
        try (InputStream raw = Npz.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IllegalArgumentException("test resource " + resource + " not found on the classpath");
            }
            Map<String, Array> arrays = new LinkedHashMap<>();
            try (java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(raw)) {
                for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                    String name = entry.getName().endsWith(".npy")
                            ? entry.getName().substring(0, entry.getName().length() - 4)
                            : entry.getName();
                    arrays.put(name, readNpy(name, zip.readAllBytes(), resource));
                }
            }
            return arrays;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read npz " + resource + ": " + e.getMessage(), e);
        }
    }

    /** All members of the archive by name (without {@code .npy}), in archive order. */
    public static Map<String, Array> read(Path npz) {
        Map<String, Array> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName().endsWith(".npy")
                        ? entry.getName().substring(0, entry.getName().length() - 4)
                        : entry.getName();
                try (InputStream in = zip.getInputStream(entry)) {
                    arrays.put(name, readNpy(name, in.readAllBytes(), npz.toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read npz " + npz + ": " + e.getMessage(), e);
        }
        return arrays;
    }

    /** Parses one {@code .npy} file: magic, version, header dict, then the data. */
    public static Array readNpy(String name, byte[] npy, String file) {
        String where = "array " + name + " in " + file;
        ByteBuffer b = ByteBuffer.wrap(npy).order(ByteOrder.LITTLE_ENDIAN);
        if (npy.length < MAGIC.length + 4
                || !Arrays.equals(Arrays.copyOf(npy, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException(where + ": not a .npy member (bad magic)");
        }
        int major = npy[MAGIC.length];
        b.position(MAGIC.length + 2);
        // Version 1 has a 2-byte header length; versions 2 and 3 a 4-byte one.
        long headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : Integer.toUnsignedLong(b.getInt());
        if (b.position() + headerLen > npy.length) {
            throw new IllegalArgumentException(where + ": header length " + headerLen
                    + " exceeds the member's " + npy.length + " bytes");
        }
        Charset charset = major >= 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        String header = new String(npy, b.position(), (int) headerLen, charset);
        int dataStart = b.position() + (int) headerLen;

        Dtype dtype = Dtype.of(field(DESCR, header, where), where);
        if (field(FORTRAN, header, where).equals("True")) {
            throw new IllegalArgumentException(where + ": fortran_order arrays are not supported; save C-order");
        }
        int[] shape = parseShape(field(SHAPE, header, where));
        long elements = 1;
        for (int d : shape) {
            elements *= d;
        }
        long expected = elements * dtype.bytes;
        if (npy.length - dataStart != expected) {
            throw new IllegalArgumentException(where + ": shape " + Arrays.toString(shape) + " of "
                    + dtype + " needs " + expected + " data bytes but found " + (npy.length - dataStart));
        }
        ByteBuffer raw = ByteBuffer.wrap(npy, dataStart, (int) expected).slice().asReadOnlyBuffer();
        return new Array(name, dtype, shape, raw);
    }

    private static String field(Pattern p, String header, String where) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IllegalArgumentException(where + ": header has no " + p.pattern() + ": " + header.trim());
        }
        return m.group(1);
    }

    /** "(3, 224, 224)" → [3, 224, 224]; "(5,)" → [5]; "()" → [] (a scalar). */
    private static int[] parseShape(String dims) {
        return Arrays.stream(dims.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt)
                .toArray();
    }
}
