package io.easspark.engine.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.WeightSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A model fixture written by tools/reference/make_fixtures.py: config.json, weights.npz (native names) and
 * expected.npz (inputs and the reference's outputs). See tools/reference/README.md for the keys.
 */
public final class Fixture {

    private final String name;
    private final LavinConfig config;
    private final Map<String, Npz.Array> weights;
    private final Map<String, Npz.Array> expected;

    private Fixture(String name, LavinConfig config, Map<String, Npz.Array> weights, Map<String, Npz.Array> expected) {
        this.name = name;
        this.config = config;
        this.weights = weights;
        this.expected = expected;
    }

    public static Fixture load(String name) {
        String base = "/fixtures/" + name + "/";
        try (InputStream in = Fixture.class.getResourceAsStream(base + "config.json")) {
            if (in == null) {
                throw new IllegalStateException("fixture " + name + " is missing: run tools/reference/make_fixtures.py");
            }
            LavinConfig config = LavinConfig.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return new Fixture(name, config, Npz.readResource(base + "weights.npz"), Npz.readResource(base + "expected.npz"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public LavinConfig config() {
        return config;
    }

    public Map<String, Npz.Array> weightArrays() {
        return weights;
    }

    /** The fixture's weights, optionally with some tensors replaced or removed (null value). */
    public WeightSource weights(Map<String, float[][]> overrides) {
        return new WeightSource() {
            @Override
            public long[] shape(String tensor) {
                if (overrides.containsKey(tensor) && overrides.get(tensor) == null) {
                    return null;
                }
                if (overrides.containsKey(tensor)) {
                    float[][] o = overrides.get(tensor);
                    return new long[] {o.length, o[0].length};
                }
                Npz.Array a = weights.get(tensor);
                return a == null ? null : Arrays.stream(a.shape()).asLongStream().toArray();
            }

            @Override
            public NDArray load(String tensor, NDManager manager) {
                if (overrides.containsKey(tensor)) {
                    float[][] o = overrides.get(tensor);
                    float[] flat = new float[o.length * o[0].length];
                    for (int i = 0; i < o.length; i++) {
                        System.arraycopy(o[i], 0, flat, i * o[0].length, o[0].length);
                    }
                    return manager.create(flat, new Shape(o.length, o[0].length));
                }
                Npz.Array a = weights.get(tensor);
                return manager.create(a.floats(), new Shape(Arrays.stream(a.shape()).asLongStream().toArray()));
            }

            @Override
            public String describe() {
                return "fixture " + name;
            }
        };
    }

    public WeightSource weights() {
        return weights(Map.of());
    }

    public Npz.Array expected(String key) {
        Npz.Array a = expected.get(key);
        if (a == null) {
            throw new IllegalArgumentException("fixture " + name + " has no key " + key);
        }
        return a;
    }

    public boolean has(String key) {
        return expected.containsKey(key);
    }

    /** Number of rows r0, r1, ... in the fixture. */
    public int rowCount() {
        int n = 0;
        while (expected.containsKey("r" + n + "_prefix")) {
            n++;
        }
        return n;
    }

    public PromptSequence row(int r) {
        boolean image = expected("r" + r + "_has_image").longs()[0] == 1;
        float[] pixels = image ? expected("r" + r + "_pixels").floats() : null;
        return new PromptSequence(expected("r" + r + "_prefix").longs(), pixels, expected("r" + r + "_suffix").longs(), r);
    }

    public List<PromptSequence> rows() {
        List<PromptSequence> rows = new ArrayList<>();
        for (int r = 0; r < rowCount(); r++) {
            rows.add(row(r));
        }
        return rows;
    }
}
